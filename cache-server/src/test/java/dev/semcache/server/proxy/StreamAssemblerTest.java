package dev.semcache.server.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StreamAssemblerTest {
  static final String STREAM = "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      + ": keep-alive comment\n\n"
      + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Grüße, \"}}]}\r\n\r\n"
      + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"world\"}}]}\n\n"
      + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
      + "data: {\"choices\":[],\"usage\":{\"total_tokens\":3}}\n\n"
      + "data: [DONE]\n\n";

  @Test
  void assemblesTheAnswerWhateverTheBytesAreSplitAt() {
    byte[] all = STREAM.getBytes(StandardCharsets.UTF_8);
    for (int split = 1; split < all.length; split += 7) {
      StreamAssembler a = new StreamAssembler();
      a.feed(java.util.Arrays.copyOfRange(all, 0, split));
      a.feed(java.util.Arrays.copyOfRange(all, split, all.length));
      a.end();
      UpstreamAnswer answer = a.answer();
      assertThat(answer.content()).isEqualTo("Grüße, world");
      assertThat(answer.usage().path("total_tokens").asInt()).isEqualTo(3);
      assertThat(CachePolicy.whyNotStored(200, answer)).isEmpty();
    }
  }

  @Test
  void anUnfinishedOrUnusualStreamIsNeverStored() {
    assertThat(why(STREAM.replace("data: [DONE]\n\n", ""))).contains("the answer is an error");
    assertThat(why(STREAM.replace("\"stop\"", "\"length\""))).contains("the answer finished with 'length', not 'stop'");
    assertThat(why(STREAM.replace("{\"content\":\"world\"}", "{\"tool_calls\":[{\"index\":0}]}"))).contains("the answer calls a tool");
    assertThat(why(STREAM.replace("\"index\":0,\"delta\":{\"content\":\"world\"}", "\"index\":1,\"delta\":{\"content\":\"world\"}")))
        .contains("the answer has 2 choices");
    assertThat(why(STREAM.replace("data: [DONE]", "data: {\"error\":{\"message\":\"overloaded\"}}\n\ndata: [DONE]")))
        .contains("the answer is an error");
  }

  private static Optional<String> why(String stream) {
    StreamAssembler a = new StreamAssembler();
    a.feed(stream.getBytes(StandardCharsets.UTF_8));
    a.end();
    return CachePolicy.whyNotStored(200, a.answer());
  }
}
