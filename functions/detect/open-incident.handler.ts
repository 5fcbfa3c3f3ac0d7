import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./open-incident.js";

export const handler = createLambdaHandler(task);
