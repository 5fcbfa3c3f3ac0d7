import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./send-feedback.js";

export const handler = createLambdaHandler(task);
