# syntax=docker/dockerfile:1
# semcache container image: build with Maven on a JDK, run the fat jar as a non-root user.
#   docker build -t semcache .
#   docker run -p 8080:8080 -v semcache-data:/data semcache
# No Docker engine runs in this project's CI; keep this file in step with ./semcache and the README.

FROM maven:3.9-eclipse-temurin-25 AS build
WORKDIR /src
# Dependencies first, so that source edits do not re-download them.
COPY pom.xml ./
COPY models/pom.xml models/
COPY embedding/pom.xml embedding/
COPY index/pom.xml index/
COPY cache-server/pom.xml cache-server/
COPY bench/pom.xml bench/
RUN mvn -B --no-transfer-progress -q dependency:go-offline -DexcludeReactor=true || true
COPY . .
RUN mvn -B --no-transfer-progress -DskipTests -pl cache-server -am package

# A full JDK rather than a JRE: semcache needs the jdk.incubator.vector module (Lucene's SIMD path).
FROM eclipse-temurin:25-jdk
RUN apt-get update && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system semcache && useradd --system --gid semcache --home-dir /data semcache \
    && mkdir -p /data /opt/semcache && chown semcache:semcache /data
COPY --from=build /src/cache-server/target/semcache.jar /opt/semcache/semcache.jar
USER semcache
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/readyz || exit 1
# The same JVM flags as ./semcache: Lucene's vector API, native access for ONNX Runtime, DJL and RocksDB.
ENTRYPOINT ["java", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", \
            "--sun-misc-unsafe-memory-access=allow", "-jar", "/opt/semcache/semcache.jar"]
# Listening beyond loopback needs API keys: mount a config that has api_keys (semcache keygen makes them), e.g.
#   docker run -v $PWD/semcache.yaml:/etc/semcache/semcache.yaml -e SEMCACHE_CONFIG=/etc/semcache/semcache.yaml ...
# Without keys the server refuses to start, and says so.
CMD ["serve", "--host", "0.0.0.0", "--data-dir", "/data", "--port", "8080"]
