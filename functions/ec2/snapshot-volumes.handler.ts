import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./snapshot-volumes.js";

export const handler = createLambdaHandler(task);
