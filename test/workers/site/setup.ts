import { beforeEach } from "vitest";
import { INSTANTS } from "../../constants.ts";
import { startEachTestAt } from "../project-clock.ts";

beforeEach(startEachTestAt(INSTANTS.parisWednesdayMorning));
