import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./enable-block-public-access.js";

export const handler = createLambdaHandler(task);
