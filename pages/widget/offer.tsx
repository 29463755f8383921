/** Step 2: the offer (wait, free slots in the customer's zone, channels) and how to reach the customer. */
import metadata from "virtual:phone-metadata";
import type { App } from "./app.tsx";
import { WIDGET_COUNTRIES } from "./countries.ts";
import { valueOf } from "./dom.ts";
import { describeWait } from "./i18n.ts";
import { checkPhone, countryOptions } from "./phone.ts";
import { browserTimeZone, formatInstant } from "./time.ts";
import { freeSlots, radio, whenChoices } from "./when.tsx";

export function offerForm(app: App) {
  const { t, locale, state: s } = app;
  const offer = s.offer!;
  const zone = browserTimeZone();
  // A renewed offer may lack the slot or channel picked before: then its first choice.
  const { free, slot } = freeSlots(offer.slots, s.start);
  const channel = s.channel && offer.channels.includes(s.channel) ? s.channel : offer.channels[0];
  const byEmail = channel === "email";
  const check = checkPhone(s.phone, s.country, metadata);
  const valid = byEmail ? s.emailValid : check.ok;
  const note = byEmail
    ? s.email && !s.emailValid && t.emailBad
    : s.phone && (check.ok ? `✓ ${check.display}` : t.phoneBad);

  const submit = (e: Event) => {
    e.preventDefault();
    if (valid && channel)
      app.confirm({
        when: slot ? { start: slot.start, end: slot.end } : { asap: true },
        media: [channel],
        contact: byEmail ? { email: s.email } : { phone: check.ok ? check.e164 : "" },
      });
  };
  return (
    <form key="offer" onSubmit={submit}>
      <h2 tabIndex={-1}>{t.offerTitle}</h2>
      {/* Closed: the wait is until the opening, better said as its time. */}
      <p>{offer.opensAt ? t.opensAt(formatInstant(offer.opensAt, locale, zone)) : describeWait(offer.estimatedWaitSeconds, t)}</p>
      {whenChoices(app, free, slot, (start) => app.set({ start }))}
      <fieldset>
        <legend>{t.how}</legend>
        {offer.channels.map((c) => radio("channel", c === channel, t.channels[c], () => app.set({ channel: c })))}
      </fieldset>
      {byEmail ? (
        <>
          <label for="email">{t.email}</label>
          {/* Keyed: preact would reuse the email input for the phone, its removed maxLength left as 0. */}
          <input
            key="email"
            id="email"
            type="email"
            required
            maxLength={254}
            autocomplete="email"
            pattern="[^@\s]+@[^@\s]+\.[^@\s]+"
            value={s.email}
            aria-invalid={!!note}
            aria-describedby="note"
            onInput={(e) => app.set({ email: valueOf(e), emailValid: e.currentTarget.validity.valid })}
          />
        </>
      ) : (
        <>
          <label for="country">{t.country}</label>
          <select id="country" value={s.country} onChange={(e) => app.set({ country: valueOf(e) })}>
            {countryOptions(WIDGET_COUNTRIES, locale, metadata).map((c) => (
              <option value={c.code}>{c.label}</option>
            ))}
          </select>
          <label for="phone">{t.phone}</label>
          <input
            key="phone"
            id="phone"
            type="tel"
            required
            autocomplete="tel"
            value={s.phone}
            aria-invalid={!!s.phone && !check.ok}
            aria-describedby="note"
            onInput={(e) => app.set({ phone: valueOf(e) })}
          />
        </>
      )}
      <p id="note" class="note">
        {note}
      </p>
      <div class="row">
        <button type="button" onClick={app.back}>
          {t.back}
        </button>
        <button disabled={!valid || s.busy}>{t.confirm}</button>
      </div>
    </form>
  );
}
