package dev.semcache.embedding;

import java.util.ArrayList;
import java.util.List;

/** Texts chosen to stress tokenization and pooling: scripts, emoji, case, spacing, length. */
final class VariedTexts {
  private VariedTexts() {}

  /** A text far longer than any bundled model's token limit. */
  static String longText(int words) {
    StringBuilder sb = new StringBuilder();
    String[] pool = {"cache", "semantic", "vector", "gateway", "prompt", "answer", "tenant", "latency",
        "threshold", "index", "durable", "namespace", "quantized", "model", "embedding", "lookup"};
    for (int i = 0; i < words; i++) {
      sb.append(pool[(i * 7 + i / 3) % pool.length]).append(i % 11 == 10 ? ". " : " ");
    }
    return sb.toString().trim();
  }

  static List<String> all() {
    List<String> t = new ArrayList<>(List.of(
        "How do I reset my password?",
        "how do i reset my password",
        "HOW DO I RESET MY PASSWORD?!",
        "What are your opening hours?",
        "Summarise this article in three bullet points.",
        "Translate 'good morning' into French.",
        "Write a haiku about autumn leaves.",
        "Explain the difference between TCP and UDP.",
        "What is the capital of Mongolia?",
        "Can I get a refund for a damaged item?",
        "My card was declined at the checkout, why?",
        "Give me a recipe for vegan lasagna.",
        "¿Cuál es la capital de España?",
        "Wie spät ist es in Berlin?",
        "Quelle est la différence entre « ser » et « estar » ?",
        "Привет, как дела?",
        "東京の天気はどうですか？",
        "北京今天的天气怎么样？",
        "서울에서 부산까지 얼마나 걸려요?",
        "مرحبا، كيف حالك؟",
        "שלום, מה שלומך?",
        "नमस्ते, आप कैसे हैं?",
        "Γεια σου κόσμε",
        "naïve café résumé façade coöperate",
        "Ünïcödé ñ ß ø å æ œ",
        "I love this! 😍🔥🚀",
        "👍",
        "🤖 What's the best LLM for code? 🧑‍💻",
        "Flags 🇺🇸🇯🇵 and families 👨‍👩‍👧‍👦",
        "   leading and trailing spaces   ",
        "tabs\tand\nnewlines\r\nmixed",
        "multiple     internal      spaces",
        "a",
        "?",
        "x = 42; y = x * 2 // compute",
        "SELECT * FROM users WHERE id = 7;",
        "def f(x):\n    return x ** 2",
        "{\"role\": \"user\", \"content\": \"hello\"}",
        "https://example.com/path?q=semantic+cache&lang=en",
        "Email me at someone@example.org tomorrow.",
        "Call +1 (555) 010-9999 before 5pm.",
        "3.14159 2.71828 1.41421 1.73205",
        "The quick brown fox jumps over the lazy dog.",
        "ThE qUiCk BrOwN fOx",
        "Supercalifragilisticexpialidocious antidisestablishmentarianism",
        "pneumonoultramicroscopicsilicovolcanoconiosis",
        "C'est l'été, n'est-ce pas?",
        "Don't, can't, won't, shouldn't've",
        "Mixed 中文 and English in one sentence",
        "zero\u200bwidth\u200bspaces",
        "non\u00a0breaking\u00a0spaces",
        "combining e\u0301 vs precomposed é",
        "Ⅻ ½ ² ㎞ ﬁ",
        "<script>alert('x')</script>",
        "Line one.\n\nLine two after a blank line.",
        "What's the weather like in São Paulo, Reykjavík and Kraków?"));
    t.add(longText(300));
    t.add(longText(700));
    t.add(longText(1500));
    return t;
  }
}
