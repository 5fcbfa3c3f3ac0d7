import { SFNClient } from "@aws-sdk/client-sfn";
import { clientFactory } from "../contract/clients.js";
import type { HttpApiEvent, HttpResponse } from "../http/http-api.js";
import { createStartIncident, INCIDENT_MACHINES_ENV, incidentMachinesFrom } from "./start-incident.js";

let start: ReturnType<typeof createStartIncident> | undefined;

/** The incidents HTTP API (API Gateway v2, IAM authorization): POST /incidents starts a manual incident. */
export const handler = async (event: HttpApiEvent): Promise<HttpResponse> => {
  if (!start) {
    // Validated before the first request is served: a bad deployment fails loudly, not per call.
    const machines = incidentMachinesFrom(process.env[INCIDENT_MACHINES_ENV]);
    const aws = clientFactory({ ...(process.env.AWS_REGION ? { region: process.env.AWS_REGION } : {}), maxAttempts: 3 });
    start = createStartIncident({ sfn: aws(SFNClient), machines, clock: { now: () => new Date() } });
  }
  return start(event);
};
