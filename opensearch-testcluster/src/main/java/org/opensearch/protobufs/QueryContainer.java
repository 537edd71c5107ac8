package org.opensearch.protobufs;

/**
 * Stand-in for the gRPC transport's protobuf query type (not published to Maven Central), named in the
 * signatures of the k-NN plugin's gRPC converter: the node reflects on those signatures when it wires the
 * plugin's components, so the type must exist; no gRPC request ever reaches the test node.
 */
public final class QueryContainer {
  private QueryContainer() {}

  /** Stand-in. */
  public enum QueryContainerCase { KNN }
}
