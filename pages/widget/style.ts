/** The widget's own style, in its shadow root: `all: initial` stops what the host page's styles would pass on by inheritance. */
export const CSS = `:host{all:initial;display:block;color-scheme:light dark;max-width:32rem;font:15px/1.4 system-ui,sans-serif;color:#222;--bg:#fff;--line:#aaa;--ac:#0b57d0;--on:#fff;--bad:#b3261e}
@media (prefers-color-scheme:dark){:host{color:#eee;--bg:#222;--line:#777;--ac:#a8c7fa;--on:#123;--bad:#f2b8b5}}
.w{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:1rem;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:0;outline:0}
label,legend{display:block;font-weight:600;margin:.8rem 0 .3rem;padding:0}
fieldset{border:0;margin:0 0 .5rem;padding:0;min-width:0}
.opt{display:flex;gap:.5rem;font-weight:400}
.slots{max-height:13rem;overflow-y:auto}
textarea,select,[id=phone],[id=email]{box-sizing:border-box;width:100%;font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.4rem}
[aria-invalid=true]{border-color:var(--bad)}
.note{font-size:.9rem}
.row{display:flex;flex-wrap:wrap;gap:.5rem}
button{font:inherit;padding:.5rem 1rem;border-radius:6px;border:1px solid var(--ac);background:var(--ac);color:var(--on)}
button[type=button]{background:0;color:var(--ac)}
button:disabled{opacity:.5}
:focus-visible{outline:2px solid var(--ac)}
.conf{font-size:1.5rem;font-weight:700;user-select:all}
blockquote{margin:0;padding-left:.8rem;border-left:3px solid var(--line);white-space:pre-wrap}
[role=alert]{color:var(--bad)}
[role=alert]:empty{margin:0}`;
