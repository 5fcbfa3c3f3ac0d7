import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./block-ip.js";

export const handler = createLambdaHandler(task);
