package dev.semcache.bench;

import java.util.Arrays;

/**
 * Main class of {@code benchmarks.jar}: {@code summary FILE.json} prints the table of a JMH result file;
 * {@code corpus [MODEL]} embeds the shared datasets for the index benchmarks; {@code storage [ENTRIES]}
 * measures the whole storage ({@link StorageBench}); {@code load [OPTIONS]} puts semcache under HTTP load
 * ({@link LoadGenerator}, {@code load --help} lists the options); {@code soak [--minutes N]} samples a server
 * process's memory, file handles and data sizes under 20 minutes of mixed traffic ({@link SoakBench});
 * {@code proxy [OPTIONS]} measures proxy mode
 * against a direct upstream call ({@link ProxyBench}); {@code stages FILE.json} prints the table of a
 * {@link HotPathStagesBenchmark} result; {@code size [OPTIONS]} is the sizing report ({@link SizeCommand},
 * {@code size --help}); {@code peers [SIZES]} calibrates the index peers for a recall target and
 * {@code peers-summary FILE.json} prints their table ({@link dev.semcache.bench.peers.IndexPeersBenchmark});
 * {@code accuracy [OPTIONS]} measures hit rate and false-hit rate against the threshold on labelled data
 * ({@link AccuracyBench}); {@code train-judge [OPTIONS]} fits the second-stage judge ({@link JudgeTrainer});
 * {@code ort [OPTIONS]} measures the embedder against the raw ONNX Runtime
 * throughput of the same model in Node.js ({@link OrtComparison}); anything else goes to JMH
 * itself ({@code -l} lists the benchmarks, {@code -h} its options).
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("summary")) {
      JmhSummary.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("storage")) {
      StorageBench.run(args.length > 1 ? Integer.parseInt(args[1]) : 100_000);
    } else if (args.length > 0 && args[0].equals("load")) {
      LoadGenerator.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("tenants")) {
      TenantBench.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("soak")) {
      SoakBench.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("proxy")) {
      ProxyBench.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("stages")) {
      StageTable.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("size")) {
      System.exit(new picocli.CommandLine(new SizeCommand()).execute(Arrays.copyOfRange(args, 1, args.length)));
    } else if (args.length > 0 && args[0].equals("peers")) {
      dev.semcache.bench.peers.PeerCalibration.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("peers-summary")) {
      dev.semcache.bench.peers.PeersSummary.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("crowded")) {
      CrowdedCacheBench.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("train-judge")) {
      JudgeTrainer.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("accuracy")) {
      AccuracyBench.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("ort")) {
      OrtComparison.main(Arrays.copyOfRange(args, 1, args.length));
    } else if (args.length > 0 && args[0].equals("corpus")) {
      VectorCorpus.build(args.length > 1 ? args[1] : dev.semcache.embedding.ModelSpec.DEFAULT);
    } else {
      org.openjdk.jmh.Main.main(args);
    }
  }
}
