//! `syncsim jobs`: the Kubernetes manifests checked field by field and their pods' command
//! lines run here as the Job would run them; the Slurm scripts' directives; commands that
//! cannot be sharded refused. (The Slurm files run on a real Slurm in `.ci/slurm-test`.)

use std::path::Path;

use assert_cmd::Command;
use serde_json::{json, Value};

fn syncsim(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("syncsim").unwrap();
    cmd.current_dir(dir);
    for v in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_MIN",
        "SLURM_ARRAY_TASK_MAX",
        "SLURM_ARRAY_TASK_STEP",
        "JOB_COMPLETION_INDEX",
    ] {
        cmd.env_remove(v);
    }
    cmd
}

fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

const SWEEP: [&str; 8] = [
    "sweep",
    "q.toml",
    "--set",
    "sync.workers=1..3",
    "--replications",
    "2",
    "--format",
    "csv",
];

#[test]
fn kubernetes_manifests_are_an_indexed_job_and_its_merge_that_give_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy("scenarios/reference-tenth.toml", d.join("q.toml")).unwrap();
    syncsim(d)
        .args(["jobs", "kubernetes", "--shards", "4", "--cpus", "3"])
        .args([
            "--image",
            "registry.example.com/syncsim:1",
            "--claim",
            "work",
        ])
        .args([
            "--mount", "/data", "--memory", "1GiB", "--quiet", "--out", "res", "--",
        ])
        .args(SWEEP)
        .assert()
        .success();
    let shards = json_file(&d.join("res/shards.json"));
    assert_eq!(shards["apiVersion"], "batch/v1");
    assert_eq!(shards["kind"], "Job");
    assert_eq!(shards["metadata"]["name"], "reference-tenth-sweep");
    let spec = &shards["spec"];
    assert_eq!(spec["completionMode"], "Indexed");
    assert_eq!(spec["completions"], 4);
    assert_eq!(spec["parallelism"], 4);
    assert_eq!(spec["backoffLimit"], 0);
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(
        pod["volumes"],
        json!([{"name": "work", "persistentVolumeClaim": {"claimName": "work"}}])
    );
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    let c = &containers[0];
    assert_eq!(c["image"], "registry.example.com/syncsim:1");
    assert_eq!(c["workingDir"], "/data");
    assert_eq!(c["command"], json!(["syncsim"]));
    let mut args: Vec<&str> = SWEEP.to_vec();
    args.extend([
        "--shard",
        "auto/4",
        "--threads",
        "3",
        "--quiet",
        "--out",
        "res/shard-$(JOB_COMPLETION_INDEX)",
    ]);
    assert_eq!(c["args"], json!(args));
    assert_eq!(
        c["env"],
        json!([{"name": "JOB_COMPLETION_INDEX", "valueFrom": {"fieldRef": {
            "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}])
    );
    assert_eq!(
        c["resources"],
        json!({"requests": {"cpu": "3", "memory": "1024Mi"}, "limits": {"memory": "1024Mi"}})
    );
    assert_eq!(
        c["volumeMounts"],
        json!([{"name": "work", "mountPath": "/data"}])
    );
    let merge = json_file(&d.join("res/merge.json"));
    assert_eq!(merge["kind"], "Job");
    assert_eq!(merge["metadata"]["name"], "reference-tenth-sweep-merge");
    assert!(merge["spec"].get("completionMode").is_none());
    let m = &merge["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(
        m["command"],
        json!([
            "/bin/sh",
            "-c",
            "exec syncsim merge res/sweep.csv res/shard-*/sweep.shard-*-of-4.part"
        ])
    );
    let submit = std::fs::read_to_string(d.join("res/submit.sh")).unwrap();
    assert!(submit.contains("kubectl apply -f res/shards.json\nkubectl wait --for=condition=complete --timeout=-1s job/reference-tenth-sweep\nkubectl apply -f res/merge.json\n"), "{submit}");

    // Each pod's command line as Kubernetes expands it, run here, then the merge's shell line:
    // the single run's table.
    for index in 0..4 {
        let expanded: Vec<String> = args
            .iter()
            .map(|a| a.replace("$(JOB_COMPLETION_INDEX)", &index.to_string()))
            .collect();
        syncsim(d)
            .args(&expanded)
            .env("JOB_COMPLETION_INDEX", index.to_string())
            .assert()
            .success();
    }
    let line = m["command"][2].as_str().unwrap().replacen(
        "exec syncsim",
        &format!(
            "exec '{}'",
            assert_cmd::cargo::cargo_bin("syncsim").display()
        ),
        1,
    );
    let status = std::process::Command::new("/bin/sh")
        .args(["-c", &line])
        .current_dir(d)
        .status()
        .unwrap();
    assert!(status.success());
    syncsim(d)
        .args(SWEEP)
        .args(["--quiet", "--out", "single"])
        .assert()
        .success();
    assert_eq!(
        std::fs::read(d.join("res/sweep.csv")).unwrap(),
        std::fs::read(d.join("single/sweep.csv")).unwrap()
    );
}

#[test]
fn slurm_scripts_hold_the_array_resources_and_the_dependent_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy("scenarios/reference-tenth.toml", d.join("q.toml")).unwrap();
    syncsim(d)
        .args(["jobs", "slurm", "--shards", "5", "--cpus", "4", "--quiet"])
        .args([
            "--workdir",
            "/shared/q4",
            "--partition",
            "long",
            "--time",
            "2:00:00",
        ])
        .args([
            "--out",
            "res",
            "--",
            "run",
            "q.toml",
            "--replications",
            "50",
        ])
        .assert()
        .success();
    let read = |f: &str| std::fs::read_to_string(d.join("res").join(f)).unwrap();
    let shard = read("shard.sbatch");
    // The estimate for reference-tenth, x 4 CPUs x 1.25 + 256 MiB, in 64 MiB steps.
    let mem = format!("#SBATCH --mem={}M\n", {
        let sc = syncsim::load::load(&d.join("q.toml"), &[]).unwrap();
        syncsim::report::jobs::memory_mib(syncsim::engine::memory_estimate(&sc), 4)
    });
    for line in [
        "#SBATCH --job-name=reference-tenth-run\n",
        "#SBATCH --array=1-5\n",
        "#SBATCH --cpus-per-task=4\n",
        "#SBATCH --chdir=/shared/q4\n",
        &mem,
        "#SBATCH --partition=long\n",
        "#SBATCH --time=2:00:00\n",
        "#SBATCH --output=res/logs/shard-%a.out\n",
        "exec syncsim run q.toml --replications 50 --shard auto --threads \"$SLURM_CPUS_PER_TASK\" --quiet --out res/shard-\"$SLURM_ARRAY_TASK_ID\"\n",
    ] {
        assert!(shard.contains(line), "{line} not in:\n{shard}");
    }
    let merge = read("merge.sbatch");
    for line in [
        "#SBATCH --kill-on-invalid-dep=yes\n",
        "#SBATCH --output=res/logs/merge.out\n",
        "exec syncsim merge res/merged res/shard-*/run.shard-*-of-5.part\n",
    ] {
        assert!(merge.contains(line), "{line} not in:\n{merge}");
    }
    let submit = read("submit.sh");
    assert!(
        submit.contains("--dependency=afterok:\"$shards\" res/merge.sbatch"),
        "{submit}"
    );
}

#[test]
fn commands_that_cannot_be_sharded_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy("scenarios/reference-tenth.toml", d.join("q.toml")).unwrap();
    for (command, message) in [
        (
            &["run", "q.toml", "--shard", "1/2"][..],
            "must not give --shard",
        ),
        (&["run", "q.toml", "--out=x"][..], "must not give --out"),
        (&["validate", "q.toml"][..], "'validate' cannot be sharded"),
        (
            &["run", "q.toml", "--bogus"][..],
            "is not a syncsim command",
        ),
        (&["run", "missing.toml"][..], "missing.toml"),
    ] {
        let assert = syncsim(d)
            .args(["jobs", "slurm", "--shards", "2", "--out", "res", "--"])
            .args(command)
            .assert()
            .code(2);
        let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(err.contains(message), "{command:?}: {err}");
        assert!(!d.join("res").exists());
    }
}
