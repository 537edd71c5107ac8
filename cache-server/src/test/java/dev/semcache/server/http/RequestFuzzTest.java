package dev.semcache.server.http;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.semcache.index.Namespaces;
import dev.semcache.index.Scope;
import io.netty.handler.codec.http.HttpMethod;
import java.util.List;

/**
 * Coverage-guided fuzzing (Jazzer) of the request parsing and validation paths: routing of the request
 * target, the loopback Host and Origin checks, the JSON body and every field validator a call uses
 * (namespace, scope, prompt, numbers, metadata). Bad input may only ever be refused with an {@link
 * ApiException} (a clear 4xx) or an {@link IllegalArgumentException} from a validator that the API maps
 * to one; anything else (a NullPointerException, a Jackson exception escaping, a stack overflow, a
 * hang) is a finding, and every finding becomes a regression input under {@code
 * src/test/resources/dev/semcache/server/http/RequestFuzzTestInputs/}.
 *
 * <p>In the normal test run (CI) it replays those inputs only. A fuzzing run: {@code JAZZER_FUZZ=1 mvn
 * -pl cache-server -am verify -Dtest=RequestFuzzTest -Dsurefire.failIfNoSpecifiedTests=false} (stops
 * after {@code maxDuration}); docs/reliability.md has the last one.
 */
class RequestFuzzTest {
  private static final List<HttpMethod> METHODS = List.of(HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT,
      HttpMethod.DELETE, HttpMethod.PATCH);

  @FuzzTest(maxDuration = "30s")
  void badRequestsAreOnlyEverRefusedCleanly(FuzzedDataProvider data) {
    HttpMethod method = data.pickValue(METHODS);
    String uri = data.consumeString(300);
    String host = data.consumeString(80);
    String origin = data.consumeString(80);
    byte[] body = data.consumeRemainingAsBytes();
    try {
      Route.Match m = Route.match(method, uri);
      if (m.param() != null) {
        m.queryParam("namespace");
        m.queryParam("limit");
      }
    } catch (ApiException expected) {
      // a 4xx
    }
    HostCheck.loopbackHostHeader(host);
    HostCheck.loopbackOrigin(origin);
    JsonBody b;
    try {
      b = JsonBody.parse(body);
    } catch (ApiException expected) {
      return;
    }
    try {
      b.optionalString("namespace").ifPresent(RequestFuzzTest::namespace);
      b.optionalString("prompt");
      Scope.of(b.optionalStringMap("scope", Requests.MAX_ATTRIBUTES, Requests.MAX_ATTRIBUTE_KEY_CHARS, Requests.MAX_ATTRIBUTE_VALUE_CHARS));
      b.optionalStringMap("metadata", Requests.MAX_ATTRIBUTES, Requests.MAX_ATTRIBUTE_KEY_CHARS, Requests.MAX_ATTRIBUTE_VALUE_CHARS);
      b.optionalNumber("threshold");
      b.optionalLong("ttl_s");
      b.optionalBoolean("invalidate");
      b.only(java.util.Set.of("namespace", "prompt", "scope", "threshold"));
    } catch (ApiException expected) {
      // a 4xx
    }
  }

  private static void namespace(String ns) {
    try {
      Namespaces.requireValid(ns);
    } catch (IllegalArgumentException expected) {
      // the API answers invalid_namespace
    }
  }
}
