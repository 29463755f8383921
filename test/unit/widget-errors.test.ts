import { describe, expect, it } from "vitest";
import { ApiError } from "../../pages/shared/api.ts";
import { errorText } from "../../pages/widget/api-calls.ts";
import { MESSAGES } from "../../pages/widget/i18n.ts";

describe("errorText: what the customer is told of a failure", () => {
  it("says too many requests, in the widget's language, for a 429", () => {
    const err = new ApiError(429, "rate_limited", "slow down");
    expect(errorText(err, MESSAGES.en)).toBe("Too many requests; try again in a moment.");
    expect(errorText(err, MESSAGES.fr)).toBe("Trop de demandes ; réessayez dans un instant.");
  });

  it("says the service could not be reached, in the widget's language, with no connection", () => {
    const err = new ApiError(0, "network", "the service could not be reached");
    expect(errorText(err, MESSAGES.es)).toBe("No se pudo contactar con el servicio.");
    expect(errorText(err, MESSAGES.fr)).toBe("Le service est injoignable.");
  });

  it("passes the edge's own message on for any other status", () => {
    expect(errorText(new ApiError(409, "offer_expired", "The offer has expired."), MESSAGES.fr)).toBe("The offer has expired.");
    expect(errorText(new ApiError(400, "invalid_contact", "The phone number is not valid."), MESSAGES.en)).toBe("The phone number is not valid.");
  });

  it("shows anything else as text", () => {
    expect(errorText(new TypeError("boom"), MESSAGES.en)).toBe("TypeError: boom");
    expect(errorText("plain", MESSAGES.en)).toBe("plain");
  });
});
