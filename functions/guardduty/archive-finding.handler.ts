import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./archive-finding.js";

export const handler = createLambdaHandler(task);
