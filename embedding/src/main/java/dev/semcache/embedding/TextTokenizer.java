package dev.semcache.embedding;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;

/**
 * DJL's HuggingFace tokenizer set up for embedding: special tokens added, truncation at the model's
 * token limit, and no padding (the MiniLM tokenizer.json pads to 128 by itself; we never pad).
 */
final class TextTokenizer implements AutoCloseable {
  private final HuggingFaceTokenizer tokenizer;
  private final ModelSpec spec;

  TextTokenizer(ModelSpec spec, byte[] tokenizerJson) {
    this.spec = spec;
    Map<String, String> options = Map.of(
        "padding", "false",
        "truncation", "true",
        "maxLength", Integer.toString(spec.maxTokens()),
        "addSpecialTokens", "true");
    try {
      this.tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(tokenizerJson), options);
    } catch (IOException e) {
      throw new ModelFileException("cannot load tokenizer of model " + spec.name() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Tokenizes one text.
   *
   * @throws IllegalArgumentException if the text is null, blank, or yields no token but the special ones
   */
  TokenizedText tokenize(String text) {
    if (text == null) {
      throw new IllegalArgumentException("text must not be null");
    }
    if (text.isBlank()) {
      throw new IllegalArgumentException("text must contain a non-whitespace character; text.length=" + text.length());
    }
    Encoding enc = tokenizer.encode(spec.queryPrefix() + text, true, false);
    long[] ids = enc.getIds();
    long specials = 0;
    for (long m : enc.getSpecialTokenMask()) {
      specials += m;
    }
    if (ids.length - specials <= 0) {
      throw new IllegalArgumentException("text has no token the model can read; text.length=" + text.length());
    }
    return new TokenizedText(ids, enc.getTypeIds(), enc.exceedMaxLength());
  }

  /**
   * The longest prefix of {@code text} the model reads in full, i.e. the text as truncation leaves it.
   * Used to explain truncation to users and by tests.
   */
  String readPrefix(String text) {
    Encoding enc = tokenizer.encode(text, true, false);
    var spans = enc.getCharTokenSpans();
    long[] special = enc.getSpecialTokenMask();
    int end = 0;
    for (int i = 0; i < spans.length; i++) {
      if (special[i] == 0 && spans[i] != null) {
        end = Math.max(end, spans[i].getEnd());
      }
    }
    return text.substring(0, end);
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
