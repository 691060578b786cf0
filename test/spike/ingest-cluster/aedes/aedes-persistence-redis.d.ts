declare module 'aedes-persistence-redis' {
  /** Takes ioredis' connection options plus the persistence's own (maxSessionDelivery, packetTTL). */
  const factory: (options: Record<string, unknown>) => unknown;
  export default factory;
}
