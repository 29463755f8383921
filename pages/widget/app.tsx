/**
 * The widget's state and actions: ask (reason) → offer (when, how, contact) → done (followed live).
 * One class component and plain view functions: preact's hooks would cost every page a kilobyte more.
 */
import { Component } from "preact";
import { ApiError } from "../shared/api.ts";
import { ask } from "./ask.tsx";
import {
  cancelCallback, errorText, getOffer, getProvider, moveCallback, requester,
  type Channel, type Choice, type Offer, type Provider, type Receipt, type StatusView,
} from "./api-calls.ts";
import { WIDGET_COUNTRIES } from "./countries.ts";
import { done } from "./done.tsx";
import { chooseLanguage, localeFor, MESSAGES, type Messages } from "./i18n.ts";
import { follow } from "./live.ts";
import { offerForm } from "./offer.tsx";
import { defaultCountry } from "./phone.ts";
import { loadTracking, saveTracking, trackingFromLink, userId, type Tracking } from "./storage.ts";

interface Props {
  host: HTMLElement;
  provider: string;
  lang: string | null;
  api: string;
}

export interface State {
  provider: Provider | null;
  error: string;
  busy: boolean;
  reason: string;
  offer: Offer | null;
  /** The offer form's choices: a slot's start ("" for as soon as possible), the channel, the contact. */
  start: string;
  channel?: Channel;
  country: string;
  phone: string;
  email: string;
  emailValid: boolean;
  /** The callback asked for (a receipt, or what a reload kept), and its latest status. */
  tracking: (Tracking & Partial<Receipt>) | null;
  view: StatusView | null;
  /** A move under way: the fresh offer whose slots the customer picks from, and the pick ("" for as soon as possible). */
  moving: Offer | null;
  moveStart: string;
}

const stepOf = (s: State) => (!s.provider ? 0 : s.tracking ? 3 : s.offer ? 2 : 1);

export class App extends Component<Props, State> {
  state: State = {
    provider: null,
    error: "",
    busy: false,
    reason: "",
    offer: null,
    start: "",
    country: defaultCountry(navigator.language, WIDGET_COUNTRIES),
    phone: "",
    email: "",
    emailValid: false,
    // A message's link names the callback; else this tab's session may hold one.
    tracking: trackingFromLink(this.props.provider, this.props.api) ?? loadTracking(this.props.provider),
    view: null,
    moving: null,
    moveStart: "",
  };
  // Set by render from the attribute, the browser and the provider; read by the step views and the actions.
  t: Messages = MESSAGES.en;
  language = "en";
  locale = "en";
  /** Headings take the focus only once the customer has acted, never on the page's load. */
  private acted = false;
  private followed: string | undefined;
  private unfollow: (() => void) | undefined;
  private request = requester(this.props.api);

  set = (patch: Partial<State>): void => this.setState(patch);
  report = (err: unknown): void => this.set({ error: err === null ? "" : errorText(err, this.t) });

  /** One customer action: busy meanwhile, its failure shown. */
  private async act(work: () => Promise<unknown>): Promise<void> {
    this.acted = true;
    this.set({ busy: true, error: "" });
    try {
      await work();
    } catch (err) {
      this.report(err);
    }
    this.set({ busy: false });
  }

  loadProvider = (): void => {
    this.set({ error: "" });
    getProvider(this.props.api, this.props.provider).then((provider) => this.set({ provider }), this.report);
  };

  ask = (): void => {
    const reason = this.state.reason.trim();
    if (!reason) return this.set({ error: this.t.reasonEmpty });
    void this.act(async () => this.set({ offer: await getOffer(this.props.api, this.props.provider, userId(), reason) }));
  };

  back = (): void => this.set({ offer: null, error: "" });

  private async renew(): Promise<void> {
    this.set({ offer: await getOffer(this.props.api, this.props.provider, userId(), this.state.reason.trim()), error: this.t.expired });
  }

  confirm = (choice: Choice): void => {
    const { offer, reason } = this.state;
    if (!offer) return;
    void this.act(async () => {
      if (Date.parse(offer.expiresAt) <= Date.now()) return this.renew();
      try {
        const receipt = await this.request({ ...choice, indicia: offer.token, reason: reason.trim(), language: this.language });
        saveTracking(this.props.provider, receipt);
        this.set({ tracking: receipt });
        this.show(receipt);
      } catch (err) {
        // The token lapsed on the way (a tab left open, a skewed clock): a fresh offer to confirm again.
        if (err instanceof ApiError && err.code === "invalid_indicia") return this.renew();
        throw err;
      }
    });
  };

  cancel = (): void => {
    const url = this.state.tracking?.statusUrl;
    if (url) void this.act(async () => this.show(await cancelCallback(url)));
  };

  /** The free slots now: the customer's reason is not asked again (a linked page never had it), the callback keeps its own. */
  startMove = (): void => {
    void this.act(async () => this.set({ moving: await getOffer(this.props.api, this.props.provider, userId(), ""), moveStart: "" }));
  };

  move = (when: Choice["when"]): void => {
    const url = this.state.tracking?.statusUrl;
    if (url)
      void this.act(async () => {
        this.show(await moveCallback(url, when));
        this.set({ moving: null });
      });
  };

  keep = (): void => this.set({ moving: null, error: "" });

  another = (): void => {
    this.acted = true;
    saveTracking(this.props.provider, null);
    this.props.host.removeAttribute("data-status");
    this.set({ tracking: null, view: null, offer: null, moving: null, reason: "", error: "" });
  };

  /** A status from the edge: shown, mirrored on the host, and announced to the page when it changed. */
  private show(view: StatusView): void {
    const { host } = this.props;
    this.set({ view });
    if (host.dataset.status === view.status) return;
    host.dataset.status = view.status;
    host.dispatchEvent(new CustomEvent("callback-status", { bubbles: true, composed: true, detail: { confirmation: view.confirmation, status: view.status } }));
  }

  private follow(): void {
    const tracking = this.state.tracking;
    if (tracking?.statusUrl === this.followed) return;
    this.unfollow?.();
    this.followed = tracking?.statusUrl;
    const seen = (view: StatusView) => {
      this.show(view);
      this.report(null);
    };
    this.unfollow = tracking ? follow(tracking, seen, this.report) : undefined;
  }

  componentDidMount(): void {
    this.loadProvider();
    this.follow();
  }

  componentDidUpdate(_: Props, previous: State): void {
    this.follow();
    if (this.acted && stepOf(previous) !== stepOf(this.state)) this.props.host.shadowRoot?.querySelector("h2")?.focus();
  }

  componentWillUnmount(): void {
    this.unfollow?.();
  }

  render() {
    const s = this.state;
    const language = chooseLanguage(this.props.lang, navigator.languages, s.provider?.languages);
    this.language = language;
    this.t = MESSAGES[language];
    this.locale = localeFor(language, navigator.languages);
    // Each view keys its root: were the elements reused, the offer's Back button would become the ask's
    // submit button while its click is still being handled, and submit the form it lands in.
    const step = [
      // The provider's languages decide the widget's: nothing is asked before it answers.
      () =>
        s.error ? (
          <button type="button" onClick={this.loadProvider}>
            {this.t.retry}
          </button>
        ) : (
          <p>{this.t.loading}</p>
        ),
      ask,
      offerForm,
      done,
    ][stepOf(s)]!;
    return (
      <div class="w" lang={language}>
        {step(this)}
        <p role="alert">{s.error}</p>
      </div>
    );
  }
}
