// The bencode package ships no types; the tests use it only as an oracle for our encoder.
declare module 'bencode' {
  const bencode: { encode(value: unknown): Uint8Array; decode(bytes: Uint8Array): unknown };
  export default bencode;
}
