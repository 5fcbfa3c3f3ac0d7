import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./untag-instance.js";

export const handler = createLambdaHandler(task);
