// One value per object, made on first use and kept as long as the object lives: a program's
// layout, its schedule() sites, the register words of a layout.

/** `make(k)`, computed once for each key `k` (held weakly, so a dropped program frees its value). */
export function memoized<K extends object, V>(make: (k: K) => V): (k: K) => V {
  const made = new WeakMap<K, V>();
  return (k) => {
    let v = made.get(k);
    if (v === undefined) {
      v = make(k);
      made.set(k, v);
    }
    return v;
  };
}
