/** Each test site's own member key (tests only): it signs its agents' member tokens, checked at the edge with its public half. */
export const TEST_MEMBER_KEYS: Record<string, string> = {
  paris: '{"crv":"Ed25519","d":"R3jSRDM4bLTJ3frhW13NZgYBiuG18kkLJU-3L9RzHs4","x":"eHymMYIfyTrFq_KOX5i0S5alQAlP6Hi7fRxpyLhpJGg","kty":"OKP"}',
  austin: '{"crv":"Ed25519","d":"8YyRVu3TBNcxbHqrIUtXyU4zJnIm19hlkC3rdAO-QuU","x":"Uj91n3e1WMmE4jsqneSCxI6VqUNBga9v7vRO40rGwmY","kty":"OKP"}',
  manila: '{"crv":"Ed25519","d":"9v5W-dg_eJii5kUAW0Q47zXCKDcgUEJKSIF3idx9tL8","x":"CoEbhj7TwXvawNDprWQANbQG2HmKe3bVuzwFtvMjjVc","kty":"OKP"}',
};
