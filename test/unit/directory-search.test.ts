import { describe, expect, it } from "vitest";
import acme from "../../examples/providers/acme.json" with { type: "json" };
import northstar from "../../examples/providers/northstar.json" with { type: "json" };
import { directoryIndex, searchDirectory, type Listing } from "../../objects/directory/search.ts";

const listingOf = (p: typeof acme | typeof northstar, description: string | null = null, keywords: string[] = []): Listing => ({
  providerId: p.id,
  name: p.name,
  description,
  keywords,
  intents: p.intents.map((i) => ({ name: i.name, description: i.description, examples: i.examples })),
});

/** A provider of another trade: what the customer says must tell it from the appliance companies. */
const bank: Listing = {
  providerId: "lumen-bank",
  name: "Lumen Bank",
  description: "Current accounts, cards and mortgages",
  keywords: ["banking"],
  intents: [
    { name: "lost_card", description: "a card is lost, stolen or blocked", examples: ["I lost my credit card", "my debit card was stolen", "block my card please"] },
    { name: "mortgage", description: "mortgage offers and repayments", examples: ["I want to remortgage my house", "what rate would my mortgage be"] },
  ],
};

const listings = [listingOf(acme, "Washers, dryers, fridges and ovens: sold, delivered, installed and repaired", ["appliances"]), listingOf(northstar), bank];
const names = new Map(listings.map((l) => [l.providerId, l.name]));
const index = directoryIndex(listings);
const search = (q: string, limit = 10) => searchDirectory(index, q, limit, (id) => names.get(id) ?? id);

describe("the directory's search", () => {
  it("finds the providers a customer's problem belongs to, with the intent it is about", () => {
    const hits = search("my washer stopped spinning");
    expect(hits.map((h) => h.providerId).sort()).toEqual(["acme", "northstar"]);
    for (const h of hits) expect(h.intents[0]).toBe("repair");
    expect(hits[0].score).toBeGreaterThanOrEqual(hits[1].score);
  });

  it("tells one trade from another", () => {
    const [first, ...rest] = search("someone stole my card");
    expect(first).toMatchObject({ providerId: "lumen-bank", name: "Lumen Bank", intents: ["lost_card"] });
    expect(rest.every((h) => h.score < first.score)).toBe(true);
  });

  it("finds a provider by its name, as typed so far, and by a misspelt word", () => {
    expect(search("lumen")[0]).toMatchObject({ providerId: "lumen-bank", intents: [] });
    expect(search("northst")[0].providerId).toBe("northstar");
    expect(search("mortgag")[0]).toMatchObject({ providerId: "lumen-bank", intents: ["mortgage"] });
    expect(search("retrun")[0]).toMatchObject({ providerId: "acme", intents: ["returns"] });
  });

  it("ranks a provider whose own description matches above one whose examples alone do", () => {
    const hits = search("fridges");
    expect(hits[0].providerId).toBe("acme");
  });

  it("answers nothing for words that say nothing, and at most the limit", () => {
    expect(search("the and of it")).toEqual([]);
    expect(search("   ")).toEqual([]);
    expect(search("card washer mortgage repair bill", 2)).toHaveLength(2);
  });

  it("is the same answer for the same words, whatever the order providers were listed in", () => {
    const reversed = directoryIndex([...listings].reverse());
    const again = searchDirectory(reversed, "charged twice on my bill", 10, (id) => names.get(id) ?? id);
    expect(again).toEqual(search("charged twice on my bill"));
  });
});
