/** The consumer as a named module: it sees only what dev.tangent exports. */
module example.consumer {
    requires dev.tangent;
}
