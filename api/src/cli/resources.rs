//! `wasm-fc list`, `describe` and `remove`.

use serde_json::{Value, json};
use wasm_fc_api::client::Client;

use super::{ClientArgs, Format, ResourcePath, list_all, print_json};

/// Services, their functions and each function's triggers.
pub fn inventory(client: &Client) -> anyhow::Result<Vec<Value>> {
    let mut services = Vec::new();
    for mut service in list_all(client, "/services", "services")? {
        let name = service["serviceName"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut functions = Vec::new();
        for mut function in list_all(client, &format!("/services/{name}/functions"), "functions")? {
            let fname = function["functionName"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            function["triggers"] = Value::Array(list_all(
                client,
                &format!("/services/{name}/functions/{fname}/triggers"),
                "triggers",
            )?);
            functions.push(function);
        }
        service["functions"] = Value::Array(functions);
        services.push(service);
    }
    Ok(services)
}

pub fn list(args: &ClientArgs, format: Format) -> anyhow::Result<()> {
    let services = inventory(&args.client()?)?;
    if format == Format::Json {
        print_json(&json!({ "services": services }));
        return Ok(());
    }
    if services.is_empty() {
        println!("no services (deploy some with `wasm-fc deploy -f s.yaml`)");
    }
    for service in &services {
        println!("{}", service["serviceName"].as_str().unwrap_or_default());
        let functions = service["functions"].as_array().cloned().unwrap_or_default();
        for function in &functions {
            println!(
                "  {:<24} {:<8} {:<20} {:>5} MB {:>4} s",
                function["functionName"].as_str().unwrap_or_default(),
                function["runtime"].as_str().unwrap_or_default(),
                function["handler"].as_str().unwrap_or_default(),
                function["memorySize"],
                function["timeout"],
            );
            for trigger in function["triggers"].as_array().into_iter().flatten() {
                println!(
                    "    trigger {} ({})",
                    trigger["triggerName"].as_str().unwrap_or_default(),
                    trigger["triggerType"].as_str().unwrap_or_default(),
                );
            }
        }
    }
    Ok(())
}

fn path_of(target: &ResourcePath) -> String {
    let mut path = format!("/services/{}", target.service);
    if let Some(function) = &target.function {
        path.push_str(&format!("/functions/{function}"));
    }
    if let Some(trigger) = &target.trigger {
        path.push_str(&format!("/triggers/{trigger}"));
    }
    path
}

/// What an event-source trigger listens to, in words (`wasm-fc describe` and
/// the run banner), e.g. `oss bucket photos: oss:ObjectCreated:* on keys in/*.png`.
/// `None` for HTTP and timer triggers.
pub fn listens_to(trigger: &Value) -> Option<String> {
    let config = &trigger["triggerConfig"];
    match trigger["triggerType"].as_str()? {
        "oss" => {
            let bucket = trigger["sourceArn"]
                .as_str()
                .and_then(|arn| arn.rsplit(':').next())
                .unwrap_or("?");
            let events: Vec<&str> = config["events"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let key = &config["filter"]["key"];
            Some(format!(
                "oss bucket {bucket}: {} on keys {}*{}",
                events.join(", "),
                key["prefix"].as_str().unwrap_or_default(),
                key["suffix"].as_str().unwrap_or_default()
            ))
        }
        "http" | "timer" => None,
        "eventbridge" => {
            let source = &config["eventSourceConfig"];
            let params = &source["eventSourceParameters"];
            Some(match source["eventSourceType"].as_str().unwrap_or("?") {
                "RabbitMQ" => {
                    let p = &params["sourceRabbitMQParameters"];
                    format!(
                        "RabbitMQ broker {} vhost {} queue {}",
                        p["InstanceId"].as_str().unwrap_or("?"),
                        p["VirtualHostName"].as_str().unwrap_or("/"),
                        p["QueueName"].as_str().unwrap_or("?")
                    )
                }
                "MQTT" => {
                    let p = &params["sourceMQTTParameters"];
                    format!(
                        "MQTT broker {} topic {}",
                        p["InstanceId"].as_str().unwrap_or("?"),
                        p["Topic"].as_str().unwrap_or("?")
                    )
                }
                "Default" => format!(
                    "the platform's bus (Alertmanager alerts) matching {}",
                    config["eventRuleFilterPattern"].as_str().unwrap_or("{}")
                ),
                other => format!("{other} (stored; no local source delivers it)"),
            })
        }
        other => Some(format!(
            "{other} {} (stored; no local source delivers it)",
            trigger["sourceArn"].as_str().unwrap_or_default()
        )),
    }
}

/// Prints the resource as the API returns it (JSON in both formats), with a
/// function's triggers added, each event-source trigger with what it listens
/// to (`listensTo`).
pub fn describe(args: &ClientArgs, target: &ResourcePath) -> anyhow::Result<()> {
    let client = args.client()?;
    let mut value = client.json("GET", &path_of(target), None)?;
    if target.trigger.is_none()
        && let Some(function) = &target.function
    {
        let mut triggers = list_all(
            &client,
            &format!("/services/{}/functions/{function}/triggers", target.service),
            "triggers",
        )?;
        for trigger in &mut triggers {
            if let Some(listens_to) = listens_to(trigger) {
                trigger["listensTo"] = Value::String(listens_to);
            }
        }
        value["triggers"] = Value::Array(triggers);
    } else if target.trigger.is_some()
        && let Some(listens_to) = listens_to(&value)
    {
        value["listensTo"] = Value::String(listens_to);
    }
    print_json(&value);
    Ok(())
}

/// Removes a trigger, a function (with its triggers) or a whole service (functions,
/// aliases and versions first, as FC requires an empty service).
pub fn remove(args: &ClientArgs, target: &ResourcePath, format: Format) -> anyhow::Result<()> {
    let client = args.client()?;
    let mut removed = Vec::new();
    if target.function.is_some() {
        client.json("DELETE", &path_of(target), None)?;
        removed.push(path_of(target));
    } else {
        let service = format!("/services/{}", target.service);
        client.json("GET", &service, None)?; // a clear NotFound before anything else
        // (collection, list key, name field): a function takes its triggers along.
        let contents = [
            ("functions", "functions", "functionName"),
            ("aliases", "aliases", "aliasName"),
            ("versions", "versions", "versionId"),
        ];
        for (collection, key, name) in contents {
            let base = format!("{service}/{collection}");
            for item in list_all(&client, &base, key)? {
                let path = format!("{base}/{}", item[name].as_str().unwrap_or_default());
                client.json("DELETE", &path, None)?;
                removed.push(path);
            }
        }
        client.json("DELETE", &service, None)?;
        removed.push(service);
    }
    match format {
        Format::Json => print_json(&json!({ "removed": removed })),
        Format::Text => removed.iter().for_each(|r| println!("removed {r}")),
    }
    Ok(())
}
