import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./attach-instance.js";

export const handler = createLambdaHandler(task);
