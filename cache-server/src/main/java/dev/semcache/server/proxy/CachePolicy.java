package dev.semcache.server.proxy;

import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Scope;
import java.util.Map;
import java.util.Optional;

/**
 * What proxy mode caches, in one place (docs/proxy.md lists the same rules).
 *
 * <p>A request is looked up and stored under a {@link Key}: the last user turn as the prompt (matched by
 * meaning) and, in the reserved scope attribute {@link #SCOPE_ATTRIBUTE}, the {@link ChatRequest#fingerprint
 * fingerprint} of everything else (matched exactly). A follow-up such as "and how old is he?" therefore
 * only meets entries of conversations whose earlier turns were the same. A turn that has no meaning to
 * match (empty, a tool's result) is put into the fingerprint too and matched exactly.
 *
 * <p>A request is not cached at all (BYPASS) when: {@code Cache-Control: no-store}; it asks for more than
 * one choice; it samples above temperature 0, or names no temperature (the upstream's default, 1 at
 * OpenAI, applies), unless the namespace sets {@code cache_nondeterministic}; its last user turn has
 * images, audio or files, unless the namespace sets {@code cache_non_text} (then it is matched exactly).
 *
 * <p>An answer is never stored unless: the upstream said 200; it is one choice that finished with
 * {@code stop}; it holds text, no tool call, no refusal, no logprobs or audio a replay would drop; and it
 * is no error.
 */
final class CachePolicy {
  /** The scope attribute that holds a chat request's fingerprint; v1 callers should not use it. */
  static final String SCOPE_ATTRIBUTE = "semcache.chat";

  private CachePolicy() {}

  /**
   * Where a request is cached.
   *
   * @param prompt the prompt of the entry: the last user turn, or a marker for a turn matched exactly
   * @param scope the fingerprint, as the reserved scope attribute
   * @param semantic whether similar prompts may match (false: only this exact request)
   */
  record Key(String prompt, Scope scope, boolean semantic) {}

  /** A request's key, or why it is not cached. */
  record Decision(Key key, String bypassReason) {
    boolean cached() {
      return key != null;
    }
  }

  static Decision decide(ChatRequest chat, NamespaceConfig config, CacheControls controls) {
    if (controls.noStore()) {
      return bypass("the request says Cache-Control: no-store");
    }
    if (chat.choices() != 1) {
      return bypass("the request asks for n=" + chat.choices() + " choices; only single answers are cached");
    }
    Double t = chat.temperature();
    if (!config.cacheNondeterministic() && (t == null || t > 0)) {
      return bypass((t == null ? "the request names no temperature (the upstream's default, 1, samples)"
          : "the request samples at temperature " + t) + "; send temperature 0, or set the namespace's"
          + " cache_nondeterministic to cache such answers");
    }
    int window = config.fingerprintWindow();
    return switch (chat.lastTurn()) {
      case TEXT -> new Decision(new Key(chat.lastText(), scope(chat.fingerprint(window, false)), true), null);
      case EMPTY, TOOL -> new Decision(exactKey(chat, window, chat.lastTurn() == ChatRequest.LastTurn.TOOL
          ? "[tool result]" : "[empty turn]"), null);
      case NON_TEXT -> config.cacheNonText()
          ? new Decision(exactKey(chat, window, "[non-text turn]"), null)
          : bypass("the last user turn has non-text parts (images, audio or files); set the namespace's"
              + " cache_non_text to cache such requests exactly");
    };
  }

  private static Key exactKey(ChatRequest chat, int window, String marker) {
    String text = chat.lastText();
    return new Key(text == null || text.isBlank() ? marker : text, scope(chat.fingerprint(window, true)), false);
  }

  private static Scope scope(String fingerprint) {
    return Scope.of(Map.of(SCOPE_ATTRIBUTE, fingerprint));
  }

  private static Decision bypass(String why) {
    return new Decision(null, why);
  }

  /** Why an upstream answer must not be stored, or empty if it may. */
  static Optional<String> whyNotStored(int status, UpstreamAnswer a) {
    if (status != 200) {
      return Optional.of("the upstream answered " + status);
    }
    if (a.error()) {
      return Optional.of("the answer is an error");
    }
    if (a.choices() != 1) {
      return Optional.of("the answer has " + a.choices() + " choices");
    }
    if (a.toolCalls()) {
      return Optional.of("the answer calls a tool");
    }
    if (!"stop".equals(a.finishReason())) {
      return Optional.of("the answer finished with '" + a.finishReason() + "', not 'stop'");
    }
    if (a.refusal()) {
      return Optional.of("the model refused");
    }
    if (a.extras()) {
      return Optional.of("the answer carries parts a replay would drop (logprobs, audio, annotations)");
    }
    if (a.content() == null || a.content().isBlank()) {
      return Optional.of("the answer has no text");
    }
    return Optional.empty();
  }
}
