import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./find-stale-access-keys.js";

export const handler = createLambdaHandler(task);
