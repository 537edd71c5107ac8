package org.opensearch.transport.grpc.spi;

/**
 * Stand-in for the gRPC transport's SPI, which is not published to Maven Central: the k-NN plugin
 * constructs its gRPC query converter (an implementation of this interface) even when no gRPC transport
 * runs, as in the test node, so the interface must exist; nothing calls it.
 */
public interface QueryBuilderProtoConverter {}
