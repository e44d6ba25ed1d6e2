#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `deploy/kubernetes.yaml`, the example `docs/many-nodes.md` explains, checked
//! without a cluster: every document parses (saphyr), and the parts that only
//! fail once pods run are wired together: the labels select the pods, the store
//! URL and access keys come from Secret keys that exist, each node advertises its
//! pod IP, the probes hit `/readyz` and `/healthz` on a port the container names,
//! the Service targets that port, the data dir is an `emptyDir` mount, and a
//! stopping pod has time to drain.

use std::collections::BTreeMap;

use saphyr::{LoadableYamlNode, Yaml};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/kubernetes.yaml");

type Node = Yaml<'static>;

/// Every document in the example.
fn documents() -> Vec<Node> {
    let text = std::fs::read_to_string(EXAMPLE).unwrap_or_else(|e| panic!("{EXAMPLE}: {e}"));
    Yaml::load_from_str(&text).unwrap_or_else(|e| panic!("{EXAMPLE}: {e}"))
}

/// The node at a dot-separated path of mapping keys, if every key is there.
fn get<'a>(node: &'a Node, path: &str) -> Option<&'a Node> {
    path.split('.')
        .try_fold(node, |node, key| node.as_mapping_get(key))
}

fn at<'a>(node: &'a Node, path: &str) -> &'a Node {
    get(node, path).unwrap_or_else(|| panic!("`{path}` is missing"))
}

fn str_at<'a>(node: &'a Node, path: &str) -> &'a str {
    at(node, path)
        .as_str()
        .unwrap_or_else(|| panic!("`{path}` is not a string"))
}

fn int_at(node: &Node, path: &str) -> i64 {
    at(node, path)
        .as_integer()
        .unwrap_or_else(|| panic!("`{path}` is not an integer"))
}

fn seq_at<'a>(node: &'a Node, path: &str) -> &'a [Node] {
    at(node, path)
        .as_sequence()
        .unwrap_or_else(|| panic!("`{path}` is not a sequence"))
}

/// A mapping of strings (labels, a selector, stringData), order aside.
fn strings_at<'a>(node: &'a Node, path: &str) -> BTreeMap<&'a str, &'a str> {
    let mapping = at(node, path)
        .as_mapping()
        .unwrap_or_else(|| panic!("`{path}` is not a mapping"));
    mapping
        .iter()
        .map(|(k, v)| {
            let key = k
                .as_str()
                .unwrap_or_else(|| panic!("`{path}`: a key is not a string"));
            let value = v
                .as_str()
                .unwrap_or_else(|| panic!("`{path}.{key}` is not a string"));
            (key, value)
        })
        .collect()
}

fn of_kind<'a>(docs: &'a [Node], kind: &str) -> Vec<&'a Node> {
    docs.iter().filter(|d| str_at(d, "kind") == kind).collect()
}

fn only<'a>(docs: &'a [Node], kind: &str) -> &'a Node {
    let found = of_kind(docs, kind);
    assert_eq!(found.len(), 1, "one {kind} expected");
    found[0]
}

/// The Deployment's one container.
fn container(docs: &[Node]) -> &Node {
    let containers = seq_at(only(docs, "Deployment"), "spec.template.spec.containers");
    assert_eq!(containers.len(), 1, "one container expected");
    &containers[0]
}

fn args(container: &Node) -> Vec<&str> {
    seq_at(container, "args")
        .iter()
        .map(|a| a.as_str().expect("args are strings"))
        .collect()
}

/// The argument after `flag`.
fn arg_after<'a>(args: &[&'a str], flag: &str) -> &'a str {
    let i = args
        .iter()
        .position(|a| *a == flag)
        .unwrap_or_else(|| panic!("no {flag} in {args:?}"));
    args.get(i + 1)
        .unwrap_or_else(|| panic!("{flag} has no value"))
}

/// The env entry named `name`, and its position in the list.
fn env_var<'a>(container: &'a Node, name: &str) -> (usize, &'a Node) {
    seq_at(container, "env")
        .iter()
        .enumerate()
        .find(|(_, e)| str_at(e, "name") == name)
        .unwrap_or_else(|| panic!("no env {name}"))
}

#[test]
fn kinds_are_two_secrets_a_deployment_and_a_service() {
    let docs = documents();
    let mut kinds: Vec<&str> = docs.iter().map(|d| str_at(d, "kind")).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["Deployment", "Secret", "Secret", "Service"]);
    for doc in &docs {
        assert!(!str_at(doc, "metadata.name").is_empty());
    }
    assert_eq!(str_at(only(&docs, "Deployment"), "apiVersion"), "apps/v1");
    assert_eq!(str_at(only(&docs, "Service"), "apiVersion"), "v1");
    assert_eq!(str_at(only(&docs, "Service"), "spec.type"), "ClusterIP");
}

#[test]
fn labels_select_the_pods() {
    let docs = documents();
    let deployment = only(&docs, "Deployment");
    let selector = strings_at(deployment, "spec.selector.matchLabels");
    assert!(!selector.is_empty());
    assert_eq!(
        selector,
        strings_at(deployment, "spec.template.metadata.labels")
    );
    assert_eq!(
        selector,
        strings_at(only(&docs, "Service"), "spec.selector")
    );
}

#[test]
fn several_nodes_run_the_platform_on_every_interface() {
    let docs = documents();
    assert!(int_at(only(&docs, "Deployment"), "spec.replicas") >= 2);
    let args = args(container(&docs));
    assert_eq!(args.first(), Some(&"run"), "{args:?}");
    assert_eq!(arg_after(&args, "--listen"), "0.0.0.0:9000");
}

#[test]
fn secrets_named_in_env_exist() {
    let docs = documents();
    let container = container(&docs);
    let secret_value = |env: &str| {
        let (_, var) = env_var(container, env);
        let name = str_at(var, "valueFrom.secretKeyRef.name");
        let key = str_at(var, "valueFrom.secretKeyRef.key");
        let secret = of_kind(&docs, "Secret")
            .into_iter()
            .find(|s| str_at(s, "metadata.name") == name)
            .unwrap_or_else(|| panic!("{env}: no Secret {name}"));
        strings_at(secret, "stringData")
            .get(key)
            .copied()
            .unwrap_or_else(|| panic!("{env}: Secret {name} has no key {key}"))
    };
    assert!(secret_value("WASM_FC_STORE").starts_with("postgres://"));
    assert!(!secret_value("WASM_FC_ACCESS_KEY_ID").is_empty());
    assert!(!secret_value("WASM_FC_ACCESS_KEY_SECRET").is_empty());
}

#[test]
fn each_node_advertises_its_pod_ip() {
    let docs = documents();
    let container = container(&docs);
    let (pod_ip_at, pod_ip) = env_var(container, "POD_IP");
    assert_eq!(
        str_at(pod_ip, "valueFrom.fieldRef.fieldPath"),
        "status.podIP"
    );
    let (advertise_at, advertise) = env_var(container, "WASM_FC_ADVERTISE_ADDRESS");
    assert!(str_at(advertise, "value").contains("$(POD_IP)"));
    // Kubernetes expands $(VAR) only from variables defined earlier in the list.
    assert!(pod_ip_at < advertise_at, "POD_IP must come first");
}

#[test]
fn probes_and_the_service_use_the_named_port() {
    let docs = documents();
    let container = container(&docs);
    let port = str_at(container, "readinessProbe.httpGet.port");
    assert_eq!(str_at(container, "readinessProbe.httpGet.path"), "/readyz");
    assert_eq!(str_at(container, "livenessProbe.httpGet.path"), "/healthz");
    assert_eq!(str_at(container, "livenessProbe.httpGet.port"), port);
    let declared = seq_at(container, "ports")
        .iter()
        .find(|p| get(p, "name").and_then(Yaml::as_str) == Some(port))
        .unwrap_or_else(|| panic!("the container has no port named {port}"));
    assert_eq!(int_at(declared, "containerPort"), 9000);
    let service_ports = seq_at(only(&docs, "Service"), "spec.ports");
    assert!(!service_ports.is_empty());
    for service_port in service_ports {
        assert_eq!(str_at(service_port, "targetPort"), port);
        assert_eq!(int_at(service_port, "port"), 9000);
    }
}

#[test]
fn the_data_dir_is_an_empty_dir_volume() {
    let docs = documents();
    let container = container(&docs);
    let data_dir = arg_after(&args(container), "--data-dir");
    let mount = seq_at(container, "volumeMounts")
        .iter()
        .find(|m| str_at(m, "mountPath") == data_dir)
        .unwrap_or_else(|| panic!("nothing is mounted at {data_dir}"));
    let name = str_at(mount, "name");
    let volume = seq_at(only(&docs, "Deployment"), "spec.template.spec.volumes")
        .iter()
        .find(|v| str_at(v, "name") == name)
        .unwrap_or_else(|| panic!("no volume {name}"));
    assert!(
        get(volume, "emptyDir").is_some(),
        "volume {name} is not an emptyDir"
    );
}

#[test]
fn a_stopping_pod_has_time_to_drain() {
    let docs = documents();
    let grace = int_at(
        only(&docs, "Deployment"),
        "spec.template.spec.terminationGracePeriodSeconds",
    );
    assert!(grace >= 30, "terminationGracePeriodSeconds {grace}");
}
