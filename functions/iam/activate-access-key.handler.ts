import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./activate-access-key.js";

export const handler = createLambdaHandler(task);
