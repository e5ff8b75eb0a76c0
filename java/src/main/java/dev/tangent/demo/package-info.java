/** {@code ./tangent demo}: the seed examples, written against the public API only (not exported). */
package dev.tangent.demo;
