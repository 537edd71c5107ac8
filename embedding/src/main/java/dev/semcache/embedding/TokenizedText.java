package dev.semcache.embedding;

/**
 * A text as the model reads it: token ids with the special tokens, never padded.
 *
 * @param ids token ids, [CLS] ... [SEP]
 * @param typeIds segment ids (all zero for one sentence)
 * @param truncated whether the text was cut at the model's token limit
 */
public record TokenizedText(long[] ids, long[] typeIds, boolean truncated) {
  public int length() {
    return ids.length;
  }
}
