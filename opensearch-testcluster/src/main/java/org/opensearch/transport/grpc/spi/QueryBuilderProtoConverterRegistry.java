package org.opensearch.transport.grpc.spi;

/** Stand-in, see {@link QueryBuilderProtoConverter}. */
public interface QueryBuilderProtoConverterRegistry {}
