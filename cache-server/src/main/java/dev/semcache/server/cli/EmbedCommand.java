package dev.semcache.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxEmbedder;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.TokenizedText;
import dev.semcache.embedding.Vectors;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code semcache embed}: embeds texts with a bundled model and prints, as JSON, their token counts and
 * the cosine similarity of every pair: the number a threshold is compared with.
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
    description = "Embed texts and print their pairwise cosine similarities as JSON.")
final class EmbedCommand implements Callable<Integer> {

  @Option(names = "--model", description = "Model name (default: ${DEFAULT-VALUE}); see 'semcache models'.",
      defaultValue = ModelSpec.DEFAULT)
  String model;

  @Option(names = "--vectors", description = "Also print the vectors.")
  boolean vectors;

  @Parameters(arity = "1..*", paramLabel = "TEXT", description = "Texts to embed.")
  List<String> texts;

  @Override
  public Integer call() throws Exception {
    ModelSpec spec;
    try {
      spec = ModelSpec.named(model);
    } catch (IllegalArgumentException e) {
      System.err.println("semcache embed: " + e.getMessage());
      return 2;
    }
    ObjectMapper json = new ObjectMapper();
    try (OnnxEmbedder embedder = OnnxEmbedder.open(spec, OnnxOptions.defaults())) {
      ObjectNode out = json.createObjectNode();
      out.put("model", spec.name());
      out.put("dimension", spec.dimension());
      ArrayNode items = out.putArray("texts");
      float[][] vs = new float[texts.size()][];
      for (int i = 0; i < texts.size(); i++) {
        TokenizedText t;
        try {
          t = embedder.tokenize(texts.get(i));
        } catch (IllegalArgumentException e) {
          System.err.println("semcache embed: text " + (i + 1) + ": " + e.getMessage());
          return 2;
        }
        vs[i] = embedder.embedTokenized(List.of(t)).get(0);
        ObjectNode item = items.addObject();
        item.put("text", texts.get(i));
        item.put("tokens", t.length());
        item.put("truncated", t.truncated());
        if (vectors) {
          ArrayNode v = item.putArray("vector");
          for (float x : vs[i]) {
            v.add(x);
          }
        }
      }
      ArrayNode pairs = out.putArray("similarities");
      for (int i = 0; i < vs.length; i++) {
        for (int j = i + 1; j < vs.length; j++) {
          ObjectNode p = pairs.addObject();
          p.put("a", i);
          p.put("b", j);
          p.put("cosine", Math.round(Vectors.dot(vs[i], vs[j]) * 1e6) / 1e6);
        }
      }
      System.out.println(json.writerWithDefaultPrettyPrinter().writeValueAsString(out));
    }
    return 0;
  }
}
