// The platform's main flow, run by a program through the TypeScript client generated from the
// schema (openapi-typescript's types, openapi-fetch's client): a maker declares production with
// her personal token, the relay covering her department validates it, the public figures show
// it; she registers for a workshop and cancels; a care home posts a need and she pledges to it.
//
// Reads TILAB_URL and the personal tokens TILAB_MAKER_TOKEN, TILAB_RELAY_TOKEN,
// TILAB_CONTACT_TOKEN (with TILAB_CONTACT_EMAIL, the contact's own verified address). Every
// answer's status and values are checked; the first one that differs stops the flow with a
// non-zero exit. Run by .ci/clients; see README, "Generated clients".
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/schema.js";

type Schemas = components["schemas"];

const URL = need("TILAB_URL");
const DEPARTMENT = "35"; // the demo maker's, covered by the relay whose staff validates
const QUANTITY = 5;

function need(name: string): string {
  const value = process.env[name];
  if (!value) fail(`${name} is not set`);
  return value;
}

function fail(what: string): never {
  console.error(`FAIL ${what}`);
  process.exit(1);
}

function check(condition: boolean, what: string): void {
  if (!condition) fail(what);
  console.log(`ok   ${what}`);
}

// The parsed answer, once its status is the one expected.
function expect<T>(
  answer: { data?: T; error?: unknown; response: Response },
  status: number,
  what: string,
): T {
  if (answer.response.status !== status) {
    const body = JSON.stringify(answer.error ?? answer.data ?? null).slice(0, 500);
    fail(`${what}: ${answer.response.status} (expected ${status}): ${body}`);
  }
  console.log(`ok   ${what}: ${status}`);
  return answer.data as T;
}

// The coded body of a refusal.
function refusal(
  answer: { error?: unknown; response: Response },
  status: number,
  what: string,
): Schemas["Error"] {
  if (answer.response.status !== status) {
    fail(`${what}: ${answer.response.status} (expected ${status})`);
  }
  console.log(`ok   ${what}: ${status}`);
  const error = answer.error as Schemas["Error"];
  check(typeof error.code === "string" && error.code !== "", `a coded refusal (${error.code})`);
  return error;
}

function person(variable: string) {
  return createClient<paths>({
    baseUrl: URL,
    headers: { Authorization: `Token ${need(variable)}`, "Accept-Language": "en" },
  });
}

const publicClient = createClient<paths>({ baseUrl: URL });
const maker = person("TILAB_MAKER_TOKEN");
const relay = person("TILAB_RELAY_TOKEN");
const contact = person("TILAB_CONTACT_TOKEN");

function rowsOf(figures: Schemas["Figures"]): Schemas["FigureRow"][] {
  if (!("next" in figures)) fail("weekly rows expected, got groups");
  return figures.results;
}

// The public weekly total of the maker's department, item and producer kind (independent
// makers), as anyone reads it; undefined when the public does not see it.
async function publicRow(week: string, item: string) {
  const figures = expect(
    await publicClient.GET("/api/v1/figures/", {
      params: {
        query: {
          department: DEPARTMENT,
          item_type: item,
          org_kind: "independent",
          period_start: week,
          period_end: week,
        },
      },
    }),
    200,
    `public figures of week ${week}, ${item}`,
  );
  return rowsOf(figures).find((row) => row.week_start === week);
}

// --- A maker declares, the relay validates, the public figures show it ---------------------

const weekly = rowsOf(
  expect(
    await publicClient.GET("/api/v1/figures/", {
      params: { query: { department: DEPARTMENT, org_kind: "independent", page_size: 20 } },
    }),
    200,
    "public weekly figures",
  ),
);
const first = weekly[0];
if (!first) fail("the public sees no weekly total of department 35");
const week = first.week_start;
const item = first.item_type;
const before = await publicRow(week, item);
if (!before) fail(`the public does not see week ${week}'s ${item} total`);

const report = expect(
  await maker.POST("/api/v1/production-reports/", {
    body: {
      item_type: item,
      quantity: QUANTITY,
      produced_on: week,
      recipient: "CHU de Rennes (client TypeScript)",
    },
  }),
  201,
  "the maker declares her production with her token",
);
check(report.status === "submitted", "the report awaits its relay");
check(
  report.quantity === QUANTITY && report.item_type === item && report.department === DEPARTMENT,
  "the report holds what she declared",
);
check(report.maker.display_name === "Anne Le Goff", "the report is hers");

const path = { params: { path: { id: report.id } } };
refusal(
  await maker.POST("/api/v1/production-reports/{id}/validate/", path),
  403,
  "the maker cannot validate her own report",
);
const validated = expect(
  await relay.POST("/api/v1/production-reports/{id}/validate/", path),
  200,
  "the relay validates it",
);
check(validated.status === "validated", "the report is validated");
const seen = expect(
  await maker.GET("/api/v1/production-reports/{id}/", path),
  200,
  "the maker reads it",
);
check(seen.status === "validated", "she sees it validated");

// The totals are updated when the decision commits (a drain, queued then); wait a little.
let after = await publicRow(week, item);
for (let i = 0; i < 30 && after?.quantity === before.quantity; i++) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  after = await publicRow(week, item);
}
if (!after) fail("the week's total is no longer public");
check(
  after.quantity === before.quantity + QUANTITY,
  `the public total rose by ${QUANTITY}: ${before.quantity} -> ${after.quantity}`,
);
check(after.report_count === before.report_count + 1, "one more report in the public total");

// --- A workshop registration and its cancellation -----------------------------------------

const listing = expect(
  await maker.GET("/api/v1/workshops/", { params: { query: { page_size: 50 } } }),
  200,
  "workshops",
);
const workshop = listing.results.find(
  (w) => w.registration_open && w.is_public && w.has_seats && w.my_registration === null,
);
if (!workshop) fail("no public workshop with seats left that she has not registered for");
const onWorkshop = { params: { path: { id: workshop.id } } };

const registered = expect(
  await maker.POST("/api/v1/workshops/{id}/register/", { ...onWorkshop, body: {} }),
  201,
  `she registers for workshop ${workshop.id}`,
);
if (!("status" in registered)) fail("a registration of her own expected, not a guest's");
check(registered.status === "confirmed", "her seat is confirmed");
check(registered.workshop.id === workshop.id, "for that workshop");
let now = expect(await maker.GET("/api/v1/workshops/{id}/", onWorkshop), 200, "the workshop");
// Counts of seats are the facilitators' (a count would tell who registered): null for her.
check(now.seats_left === null, "no count of seats for a participant");
check(now.my_registration?.id === registered.id, "the workshop shows her registration");

const onRegistration = { params: { path: { id: registered.id } }, body: {} };
const cancelled = expect(
  await maker.POST("/api/v1/registrations/{id}/cancel/", onRegistration),
  200,
  "she cancels",
);
check(cancelled.status === "cancelled", "the registration is cancelled");
refusal(
  await maker.POST("/api/v1/registrations/{id}/cancel/", onRegistration),
  409,
  "cancelling twice",
);
now = expect(await maker.GET("/api/v1/workshops/{id}/", onWorkshop), 200, "the workshop");
check(now.has_seats, "seats are left again");
check(now.my_registration === null, "no registration of hers left");

// --- A need posted and pledged ------------------------------------------------------------

const neededBy = new Date(Date.now() + 21 * 86400 * 1000).toISOString().slice(0, 10);
const posted = expect(
  await contact.POST("/api/v1/needs/", {
    body: {
      establishment_name: "EHPAD Les Hortensias (client TypeScript)",
      care_type: "ehpad",
      department: DEPARTMENT,
      commune: "Cesson-Sévigné",
      item_type: item,
      quantity: 40,
      needed_by: neededBy,
      contact_name: "Gaëlle Tanguy",
      contact_email: need("TILAB_CONTACT_EMAIL"),
    },
  }),
  201,
  "a care home posts a need with its contact's token",
);
check(posted.status === "open", "posted with her own verified address, the need is open");
check(
  posted.quantity === 40 && posted.pledged === 0 && posted.needed_by === neededBy,
  "as posted",
);

const pledge = expect(
  await maker.POST("/api/v1/pledges/", {
    body: { need: posted.id, quantity: 15, message: "Livrable sous 10 jours." },
  }),
  201,
  "the maker pledges to it",
);
check(pledge.status === "active" && pledge.quantity === 15, "her pledge is active");
check(pledge.need.id === posted.id, "for that need");
const publicNeed = expect(
  await publicClient.GET("/api/v1/needs/{id}/", { params: { path: { id: posted.id } } }),
  200,
  "the need, publicly",
);
check(publicNeed.pledged === 15 && publicNeed.received === 0, "15 pledged, nothing received yet");

console.log("typescript client: flow passed");
