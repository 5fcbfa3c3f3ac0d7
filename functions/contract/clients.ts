/**
 * AWS SDK v3 clients, injected. A task asks for the client class it imported
 * (`ctx.aws(EC2Client)`), so each Lambda bundle carries only the clients its task uses; the
 * factory decides the configuration (region, retries, or the simulated account locally), and
 * tests replace the clients with aws-sdk-client-mock.
 */
export interface AwsClientLike {
  send(command: never, options?: unknown): Promise<unknown>;
  destroy(): void;
}

export type ClientClass<T extends AwsClientLike> = new (config: ClientConfig) => T;

export interface ClientConfig {
  region?: string;
  maxAttempts?: number;
}

export type ClientProvider = <T extends AwsClientLike>(type: ClientClass<T>) => T;

/** Creates each client once per process (Lambda reuses it across invocations). */
export function clientFactory(config: ClientConfig, configure?: (client: AwsClientLike) => void): ClientProvider {
  const cache = new Map<unknown, AwsClientLike>();
  return <T extends AwsClientLike>(type: ClientClass<T>): T => {
    let client = cache.get(type) as T | undefined;
    if (!client) {
      client = new type(config);
      configure?.(client);
      cache.set(type, client);
    }
    return client;
  };
}
