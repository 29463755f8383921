import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("answers", async () => {
  const res = await SELF.fetch("http://site/");
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ siteId: "paris" });
  const put = await SELF.fetch("http://site/v1/agents/ana", {
    method: "PUT",
    headers: { authorization: "Bearer test-admin-token", "content-type": "application/json" },
    body: JSON.stringify({ name: "Ana", skills: { appliance_repair: 4 }, channels: ["voice"], languages: ["en"] }),
  });
  console.log(put.status, await put.text());
});
