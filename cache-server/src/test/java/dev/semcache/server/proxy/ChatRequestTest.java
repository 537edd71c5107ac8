package dev.semcache.server.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semcache.index.NamespaceConfig;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ChatRequestTest {
  static ChatRequest parse(String json) {
    return ChatRequest.parse(json.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
  }

  static final String BASE = "{'model':'m','temperature':0,'messages':[{'role':'system','content':'S'},"
      + "{'role':'user','content':'Q1'},{'role':'assistant','content':'A1'},{'role':'user','content':'and then?'}]}";

  @Test
  void theFingerprintIgnoresKeyOrderNumberSpellingAndDeliveryButNotWhatChangesTheAnswer() {
    String fp = parse(BASE).fingerprint(-1, false);
    assertThat(parse("{'messages':[{'content':'S','role':'system'},{'role':'user','content':'Q1'},"
        + "{'role':'assistant','content':'A1'},{'role':'user','content':'and then?'}],'temperature':0.0,'model':'m',"
        + "'stream':true,'stream_options':{'include_usage':true},'user':'u-42'}").fingerprint(-1, false)).isEqualTo(fp);
    // The last turn is the semantic key, not part of the fingerprint.
    assertThat(parse(BASE.replace("and then?", "what next?")).fingerprint(-1, false)).isEqualTo(fp);
    for (String changed : new String[] {
        BASE.replace("'model':'m'", "'model':'m2'"),
        BASE.replace("'content':'S'", "'content':'S2'"),
        BASE.replace("'content':'Q1'", "'content':'Q2'"),
        BASE.replace("'content':'A1'", "'content':'A2'"),
        BASE.replace("'temperature':0", "'temperature':0,'seed':7"),
        BASE.replace("'temperature':0", "'temperature':0,'max_tokens':5"),
        BASE.replace("'temperature':0", "'temperature':0,'top_p':0.5"),
        BASE.replace("'temperature':0", "'temperature':0,'stop':['x']"),
        BASE.replace("'temperature':0", "'temperature':0,'response_format':{'type':'json_object'}"),
        BASE.replace("'temperature':0", "'temperature':0,'tools':[],'tool_choice':'none'"),
        BASE.replace("'temperature':0", "'temperature':0,'some_future_field':1")}) {
      assertThat(parse(changed).fingerprint(-1, false)).as(changed).isNotEqualTo(fp);
    }
  }

  @Test
  void aWindowKeepsOnlyTheLastEarlierMessagesButAlwaysTheSystemPrompt() {
    String other = BASE.replace("'content':'Q1'", "'content':'Q2'");
    assertThat(parse(other).fingerprint(1, false)).isEqualTo(parse(BASE).fingerprint(1, false));
    assertThat(parse(other).fingerprint(2, false)).isNotEqualTo(parse(BASE).fingerprint(2, false));
    assertThat(parse(BASE.replace("'content':'S'", "'content':'S2'")).fingerprint(0, false))
        .isNotEqualTo(parse(BASE).fingerprint(0, false));
  }

  @Test
  void theLastTurnDecidesTheKindOfKey() {
    assertThat(parse(BASE).lastTurn()).isEqualTo(ChatRequest.LastTurn.TEXT);
    assertThat(parse(BASE).lastText()).isEqualTo("and then?");
    assertThat(parse(BASE.replace("'and then?'", "[{'type':'text','text':'a'},{'type':'text','text':'b'}]")).lastText())
        .isEqualTo("a\nb");
    assertThat(parse(BASE.replace("'and then?'", "''")).lastTurn()).isEqualTo(ChatRequest.LastTurn.EMPTY);
    assertThat(parse(BASE.replace("'and then?'", "[{'type':'image_url','image_url':{'url':'x'}}]")).lastTurn())
        .isEqualTo(ChatRequest.LastTurn.NON_TEXT);
    assertThat(parse(BASE.replace("{'role':'user','content':'and then?'}", "{'role':'tool','content':'42'}")).lastTurn())
        .isEqualTo(ChatRequest.LastTurn.TOOL);
    CacheControls none = CacheControls.NONE;
    CachePolicy.Decision tool = CachePolicy.decide(parse(BASE.replace("{'role':'user','content':'and then?'}",
        "{'role':'tool','content':'42'}")), NamespaceConfig.defaults(), none);
    assertThat(tool.key().semantic()).isFalse();
    assertThat(CachePolicy.decide(parse(BASE), NamespaceConfig.defaults(), none).key().semantic()).isTrue();
  }

  @Test
  void malformedRequestsAreRefusedWithTheReason() {
    assertThatThrownBy(() -> parse("[1]")).hasMessage("the body must be a JSON object (an OpenAI chat completion request)");
    assertThatThrownBy(() -> parse("{'messages':[]}")).hasMessage("'messages' must be a non-empty array of messages");
    assertThatThrownBy(() -> parse("{'messages':[{'content':'x'}]}"))
        .hasMessage("messages[0] must be an object with a string 'role'");
  }
}
