import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./deactivate-access-key.js";

export const handler = createLambdaHandler(task);
