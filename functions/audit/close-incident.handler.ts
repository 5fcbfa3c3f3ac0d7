import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./close-incident.js";

export const handler = createLambdaHandler(task);
