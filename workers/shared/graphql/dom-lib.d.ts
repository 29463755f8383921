/**
 * graphql-yoga's typings reach @whatwg-node/fetch, whose .d.ts says
 * `/// <reference lib="dom" />`: the DOM's SubtleCrypto then shadows the Workers'
 * one in the whole program and loses `timingSafeEqual`, which workerd has. Types
 * only; nothing here exists at run time.
 */
export {};

declare global {
  interface SubtleCrypto {
    timingSafeEqual(a: ArrayBuffer | ArrayBufferView, b: ArrayBuffer | ArrayBufferView): boolean;
  }
}
