declare module 'aedes-persistence-level' {
  const factory: (db: unknown) => unknown;
  export default factory;
}
