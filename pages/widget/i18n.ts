/** The widget's words in each language it speaks, and the pure choices that depend on language. */
import type { CallbackStatus, Channel } from "./api-calls.ts";

const en = {
  askTitle: (name: string) => `Ask ${name} to call you back`,
  reason: "What is it about?",
  reasonEmpty: "Tell us what it is about.",
  callMe: "Call me back",
  offerTitle: "Choose when and how we reach you",
  waitSoon: "Estimated wait: within a minute.",
  waitMinutes: (n: number) => `Estimated wait: about ${n} minutes.`,
  waitHours: (n: number) => `Estimated wait: about ${n} hours.`,
  noSlots: "Nobody is free in the next 24 hours; we will call when someone is.",
  opensAt: (when: string) => `Closed until ${when}.`,
  when: "When",
  asap: "As soon as possible",
  zone: (zone: string) => `Times in ${zone}`,
  how: "How should we reach you?",
  channels: { voice: "Phone call", sms: "Text message", email: "Email", chat: "Chat", video: "Video call" } as Record<Channel, string>,
  country: "Country",
  phone: "Phone number",
  email: "Email address",
  phoneBad: "Not a valid number yet: type it in full, or + and the country code.",
  emailBad: "Enter a valid email address.",
  confirm: "Confirm",
  back: "Back",
  expired: "The offer had expired: please confirm again.",
  doneTitle: "Your callback",
  confirmation: "Confirmation number",
  status: (words: string) => `Status: ${words}`,
  statuses: {
    pending: "Received",
    scheduled: "Scheduled",
    dialing: "Contacting you now",
    connected: "Connected",
    completed: "Completed",
    answered: "Answered",
    retrying: "We will try again",
    failed: "We could not reach you",
    cancelled: "Cancelled",
    expired: "Expired",
  } as Record<CallbackStatus, string>,
  planned: (when: string) => `Planned for ${when}`,
  answer: "Our answer",
  move: "Change time",
  moveTitle: "Choose a new time. Your callback keeps its current time until the new one is confirmed.",
  moveConfirm: "Move callback",
  keep: "Keep this time",
  cancel: "Cancel callback",
  another: "Request another callback",
  tooMany: "Too many requests; try again in a moment.",
  network: "The service could not be reached.",
  retry: "Try again",
  loading: "Loading…",
};
export type Messages = typeof en;

const fr: Messages = {
  askTitle: (name) => `Demandez à ${name} de vous rappeler`,
  reason: "De quoi s'agit-il ?",
  reasonEmpty: "Dites-nous de quoi il s'agit.",
  callMe: "Rappelez-moi",
  offerTitle: "Choisissez quand et comment vous joindre",
  waitSoon: "Attente estimée : moins d'une minute.",
  waitMinutes: (n) => `Attente estimée : environ ${n} minutes.`,
  waitHours: (n) => `Attente estimée : environ ${n} heures.`,
  noSlots: "Personne n'est disponible dans les 24 heures ; nous vous rappellerons dès que possible.",
  opensAt: (when) => `Fermé jusqu'au ${when}.`,
  when: "Quand",
  asap: "Dès que possible",
  zone: (zone) => `Heures du fuseau ${zone}`,
  how: "Comment vous joindre ?",
  channels: { voice: "Appel téléphonique", sms: "SMS", email: "E-mail", chat: "Discussion en ligne", video: "Appel vidéo" },
  country: "Pays",
  phone: "Numéro de téléphone",
  email: "Adresse e-mail",
  phoneBad: "Numéro incomplet ou invalide : tapez-le en entier, ou + et l'indicatif du pays.",
  emailBad: "Saisissez une adresse e-mail valide.",
  confirm: "Confirmer",
  back: "Retour",
  expired: "L'offre avait expiré : veuillez confirmer à nouveau.",
  doneTitle: "Votre rappel",
  confirmation: "Numéro de confirmation",
  status: (words) => `Statut : ${words}`,
  statuses: {
    pending: "Reçu",
    scheduled: "Planifié",
    dialing: "Nous vous contactons",
    connected: "En communication",
    completed: "Terminé",
    answered: "Réponse envoyée",
    retrying: "Nous réessaierons",
    failed: "Nous n'avons pas pu vous joindre",
    cancelled: "Annulé",
    expired: "Expiré",
  },
  planned: (when) => `Prévu le ${when}`,
  answer: "Notre réponse",
  move: "Changer l'heure",
  moveTitle: "Choisissez une nouvelle heure. Votre rappel garde l'heure actuelle jusqu'à ce que la nouvelle soit confirmée.",
  moveConfirm: "Déplacer le rappel",
  keep: "Garder cette heure",
  cancel: "Annuler le rappel",
  another: "Demander un autre rappel",
  tooMany: "Trop de demandes ; réessayez dans un instant.",
  network: "Le service est injoignable.",
  retry: "Réessayer",
  loading: "Chargement…",
};

const es: Messages = {
  askTitle: (name) => `Pida a ${name} que le llame`,
  reason: "¿De qué se trata?",
  reasonEmpty: "Cuéntenos de qué se trata.",
  callMe: "Llámenme",
  offerTitle: "Elija cuándo y cómo contactarle",
  waitSoon: "Espera estimada: menos de un minuto.",
  waitMinutes: (n) => `Espera estimada: unos ${n} minutos.`,
  waitHours: (n) => `Espera estimada: unas ${n} horas.`,
  noSlots: "Nadie está disponible en las próximas 24 horas; le llamaremos en cuanto sea posible.",
  opensAt: (when) => `Cerrado hasta el ${when}.`,
  when: "Cuándo",
  asap: "Lo antes posible",
  zone: (zone) => `Horas de la zona ${zone}`,
  how: "¿Cómo le contactamos?",
  channels: { voice: "Llamada telefónica", sms: "Mensaje de texto", email: "Correo electrónico", chat: "Chat", video: "Videollamada" },
  country: "País",
  phone: "Número de teléfono",
  email: "Correo electrónico",
  phoneBad: "Número incompleto o no válido: escríbalo entero, o + y el prefijo del país.",
  emailBad: "Introduzca un correo electrónico válido.",
  confirm: "Confirmar",
  back: "Volver",
  expired: "La oferta había caducado: confirme de nuevo.",
  doneTitle: "Su solicitud de llamada",
  confirmation: "Número de confirmación",
  status: (words) => `Estado: ${words}`,
  statuses: {
    pending: "Recibida",
    scheduled: "Programada",
    dialing: "Le estamos contactando",
    connected: "Conectada",
    completed: "Completada",
    answered: "Respondida",
    retrying: "Lo intentaremos de nuevo",
    failed: "No pudimos contactarle",
    cancelled: "Cancelada",
    expired: "Caducada",
  },
  planned: (when) => `Prevista para el ${when}`,
  answer: "Nuestra respuesta",
  move: "Cambiar la hora",
  moveTitle: "Elija una nueva hora. Su llamada mantiene la hora actual hasta que se confirme la nueva.",
  moveConfirm: "Mover la llamada",
  keep: "Mantener esta hora",
  cancel: "Cancelar la llamada",
  another: "Solicitar otra llamada",
  tooMany: "Demasiadas solicitudes; inténtelo de nuevo en un momento.",
  network: "No se pudo contactar con el servicio.",
  retry: "Reintentar",
  loading: "Cargando…",
};

export const MESSAGES = { en, fr, es };
export type Lang = keyof typeof MESSAGES;

const primary = (tag: string): string => tag.toLowerCase().split("-")[0]!;
const translated = (tag: string | null | undefined): Lang | undefined =>
  tag && Object.hasOwn(MESSAGES, primary(tag)) ? (primary(tag) as Lang) : undefined;

/**
 * The widget's language: its `lang` attribute; else the browser's first language the provider
 * speaks and the widget translates; else the provider's first translated language; else English.
 */
export function chooseLanguage(attribute: string | null, browser: readonly string[], providerLanguages: readonly string[] = ["en"]): Lang {
  const spoken = providerLanguages.map(primary);
  return (
    translated(attribute) ??
    browser.map(translated).find((l) => l !== undefined && spoken.includes(l)) ??
    spoken.map(translated).find((l) => l !== undefined) ??
    "en"
  );
}

/** The locale for dates: the browser's own variant of the widget's language (en-GB keeps its 24-hour clock). */
export const localeFor = (lang: Lang, browser: readonly string[]): string => browser.find((tag) => primary(tag) === lang) ?? lang;

/** The estimated wait in words (seconds until the first free slot; null when none in the next day). */
export function describeWait(seconds: number | null, t: Messages): string {
  if (seconds === null) return t.noSlots;
  const minutes = Math.ceil(seconds / 60);
  if (minutes <= 1) return t.waitSoon;
  return minutes < 90 ? t.waitMinutes(minutes) : t.waitHours(Math.round(minutes / 60));
}
