import { createLambdaHandler } from "../runtime/lambda-handler.js";
import task from "./unarchive-finding.js";

export const handler = createLambdaHandler(task);
