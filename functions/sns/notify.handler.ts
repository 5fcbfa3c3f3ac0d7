import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./notify.js";

export const handler = createLambdaHandler(task);
