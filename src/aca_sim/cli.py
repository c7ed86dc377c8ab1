"""The `aca-sim` command: one entry point for the main job and tools."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from aca_sim import __version__
from aca_sim.model.config import FIDELITIES


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `aca-sim` with all sub-commands."""
    parser = argparse.ArgumentParser(
        prog="aca-sim",
        description="Simulator of the Adaptive Caching Assembly of NASA's Perseverance rover.",
    )
    parser.add_argument("--version", action="version", version=f"aca-sim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="run a caching campaign headless (sim + sequencer over ROS, fast mode)",
        description="Start the simulation and the sequencer headless in fast mode and run a "
        "campaign. The default one caches a rock core, an empty core (sealed as atmospheric), "
        "a witness tube and a Mageik-like dusty core (recovered with bore sweeps). Writes a run "
        "folder: inventory.db, recording.mcap, manifest.json, summary.md, plots/, images/.",
    )
    run.add_argument("--seed", type=int, default=None, help="random seed, >= 0 (default 0)")
    run.add_argument(
        "--campaign",
        default=None,
        help="a campaign name in config/campaigns (default, short) or a YAML file",
    )
    run.add_argument(
        "--model-config", type=Path, default=None, help="a model configuration YAML (default's)"
    )
    run.add_argument(
        "--study",
        default=None,
        help="replay one trial of a Monte Carlo study (with --trial): its seed, drawn model "
        "parameters and faults, over ROS with a run folder",
    )
    run.add_argument("--trial", type=int, default=None, help="the trial to replay, from 0")
    run.add_argument(
        "--study-seed", type=int, default=None, help="the study seed (default: the study's)"
    )
    run.add_argument(
        "--physics-fidelity",
        choices=FIDELITIES,
        default=None,
        help="fast: free-space arm moves coast without contact dynamics (checked clearance); "
        "full: every step is a PyBullet step (default: the model configuration's, fast)",
    )
    run.add_argument(
        "--run-dir",
        type=Path,
        default=None,
        help="output folder (default runs/<UTC time>-seed<N>)",
    )
    launch = sub.add_parser(
        "launch",
        help="run a ROS 2 XML launch file (for machines without `ros2 launch`)",
        description="Run a launch file: FILE is a path or the name of a file in "
        "share/aca_sim/launch (sim.launch.xml, caching.launch.xml, teleop.launch.xml). "
        "Arguments are name:=value. Ctrl-C stops every process in reverse order.",
    )
    launch.add_argument("file", help="launch file path, or a file name in aca_sim's launch/")
    launch.add_argument("arguments", nargs="*", metavar="name:=value", help="launch arguments")
    launch.add_argument(
        "--show-args", action="store_true", help="list the file's arguments and exit"
    )
    launch.add_argument(
        "--shutdown-timeout",
        type=float,
        default=10.0,
        help="seconds each process gets to stop after SIGINT before SIGTERM/SIGKILL (10)",
    )
    launch.add_argument(
        "--log-dir", type=Path, default=None, help="where output='log' files go (a temp dir)"
    )
    teleop = sub.add_parser(
        "teleop",
        help="drive the ACA from a browser, rviz2 or the keyboard (teleop.launch.xml)",
        description="page (default): start the simulation in real time, the sequencer, /tf, "
        "markers, the servo and the browser page (teleop.launch.xml); Ctrl-C stops it all. "
        "keyboard: jog the arm from this terminal through that servo (run `aca-sim teleop` "
        "in another terminal first).",
    )
    teleop.add_argument("interface", nargs="?", choices=("page", "keyboard"), default="page")
    teleop.add_argument("--host", default="127.0.0.1", help="bind address (127.0.0.1)")
    teleop.add_argument("--port", type=int, default=8080, help="HTTP port of the page (8080)")
    teleop.add_argument("--ws-port", type=int, default=8765, help="WebSocket port (8765)")
    teleop.add_argument(
        "--token", default="", help="token for the page (made up when bound beyond loopback)"
    )
    teleop.add_argument(
        "--real-time-factor", type=float, default=5.0, help="sim s per wall s (5.0)"
    )
    teleop.add_argument("--seed", type=int, default=0, help="random seed of the world (0)")
    teleop.add_argument("--rviz", action="store_true", help="also start rviz2 (if installed)")
    teleop.add_argument(
        "--run-dir", type=Path, default=Path("aca_teleop"), help="inventory folder (aca_teleop)"
    )
    report = sub.add_parser(
        "report",
        help="(re)make a run folder's plots and CacheCam images",
        description="Write plots/ from RUN_DIR/inventory.db and images/ from "
        "RUN_DIR/recording.mcap (once the recorder has finished it).",
    )
    report.add_argument("run_dir", type=Path, help="a run folder")
    add_montecarlo_parser(sub)
    srdf = sub.add_parser(
        "srdf",
        help="print the SRDF of a model configuration (config/aca.srdf is the default's)",
        description="Write the semantic description (planning group, named states, disabled "
        "collision pairs) that aca_sim.motion.semantic makes from a model configuration.",
    )
    srdf.add_argument(
        "--model-config", type=Path, default=None, help="a model configuration YAML (default's)"
    )
    return parser


def run_launch(args: argparse.Namespace) -> int:
    """`aca-sim launch`: interpret the file, then supervise its processes."""
    import tempfile

    from aca_sim.launching.description import declared_args, load_launch_file
    from aca_sim.launching.supervisor import Supervisor
    from aca_sim.launching.xml_tree import LaunchError
    from aca_sim.paths import share_path
    from aca_sim.ros_env import ensure_local_discovery

    path = Path(args.file)
    if not path.is_file() and not path.is_absolute() and len(path.parts) == 1:
        path = share_path("launch", args.file)
    if not path.is_file():
        print(f"aca-sim launch: no launch file {args.file!r} (nor {path})", file=sys.stderr)
        return 2
    values = {}
    for item in args.arguments:
        name, sep, value = item.partition(":=")
        if not sep or not name:
            print(f"aca-sim launch: argument {item!r} is not name:=value", file=sys.stderr)
            return 2
        values[name] = value
    try:
        if args.show_args:
            print(show_args(declared_args(path, values)))
            return 0
        declared = {a.name for a in declared_args(path, values)}
        unknown = sorted(set(values) - declared)
        if unknown:
            print(
                f"aca-sim launch: {path.name} (with the files it includes) declares no "
                f"argument(s) {unknown}; "
                f"it has {sorted(declared)}",
                file=sys.stderr,
            )
            return 2
        plan = load_launch_file(path, values)
    except LaunchError as error:
        print(f"aca-sim launch: {error}", file=sys.stderr)
        return 2
    if args.shutdown_timeout <= 0:
        print("aca-sim launch: --shutdown-timeout must be > 0", file=sys.stderr)
        return 2
    ensure_local_discovery()
    log_dir = args.log_dir or Path(tempfile.mkdtemp(prefix="aca_launch_"))
    return Supervisor(plan.processes, log_dir, args.shutdown_timeout).run()


def show_args(args: list) -> str:
    """The arguments of a launch file, formatted like `ros2 launch --show-args`."""
    lines = ["Arguments (pass arguments as '<name>:=<value>'):"]
    for arg in args:
        lines += [f"\n    '{arg.name}':", f"        {arg.description or 'no description given'}"]
        lines.append(
            "        (default: "
            + (f"'{arg.default}')" if arg.default is not None else "required)")
        )
    return "\n".join(lines)


def run_report(args: argparse.Namespace) -> int:
    """`aca-sim report`: plots and images of a run folder."""
    if not (args.run_dir / "inventory.db").is_file():
        print(f"aca-sim report: {args.run_dir} has no inventory.db", file=sys.stderr)
        return 2
    from aca_sim.model.config import load_model_config
    from aca_sim.recording.report import manifest_release_limit, write_report

    limit = manifest_release_limit(args.run_dir)
    if limit is None:
        limit = load_model_config().seal_carousel.release_limit_n
        print(
            f"aca-sim report: {args.run_dir} has no manifest.json with the run's release "
            f"limit; using the default model's, {limit:g} N",
            file=sys.stderr,
        )
    print(write_report(args.run_dir, limit))
    return 0


def run_main_job(args: argparse.Namespace) -> int:
    """Run the default campaign (or a study's trial); print progress and a summary; return
    the exit code."""
    replay = args.study is not None or args.trial is not None or args.study_seed is not None
    if replay and (args.study is None or args.trial is None):
        print("aca-sim run: --study and --trial go together", file=sys.stderr)
        return 2
    for flag, value in (("--seed", args.seed), ("--campaign", args.campaign),
                        ("--model-config", args.model_config)):  # fmt: skip
        if replay and value is not None:
            print(f"aca-sim run: {flag} does not go with --study (the trial has its own)",
                  file=sys.stderr)  # fmt: skip
            return 2
    seed = 0 if args.seed is None else args.seed
    if seed < 0:
        print(f"aca-sim run: --seed {seed} must be >= 0", file=sys.stderr)
        return 2
    if args.model_config is not None and not args.model_config.is_file():
        print(f"aca-sim run: --model-config {args.model_config}: no such file", file=sys.stderr)
        return 2
    run_dir = args.run_dir or Path("runs") / time.strftime(
        f"%Y%m%dT%H%M%SZ-seed{seed}", time.gmtime()
    )
    if run_dir.exists() and any(run_dir.iterdir()):
        print(f"aca-sim run: --run-dir {run_dir} is not empty", file=sys.stderr)
        return 2
    campaign, model_config = args.campaign or "default", args.model_config
    if replay:
        if problem := missing_study_modules("aca-sim run --study"):
            print(problem, file=sys.stderr)
            return 2
        try:
            seed, campaign, model_config = study_trial_files(args, run_dir)
        except ValueError as error:
            print(f"aca-sim run: {error}", file=sys.stderr)
            return 2
    from aca_sim.caching.campaign_file import load_campaign

    try:
        load_campaign(campaign)
    except ValueError as error:
        print(f"aca-sim run: --campaign {campaign}: {error}", file=sys.stderr)
        return 2
    from aca_sim.caching.campaign import summary_table
    from aca_sim.campaign.main_job import run_campaign

    wall0 = time.perf_counter()
    print(
        f"aca-sim {__version__}: campaign {campaign}, seed {seed}, run folder {run_dir}",
        flush=True,
    )
    outcomes = run_campaign(
        seed,
        run_dir,
        campaign,
        say=lambda line: print(line, flush=True),
        physics_fidelity=args.physics_fidelity or "",
        model_config=str(model_config or ""),
    )
    wall = time.perf_counter() - wall0
    print()
    print(summary_table(outcomes, seed, wall))
    files = sorted(p.name + ("/" if p.is_dir() else "") for p in run_dir.iterdir())
    print(f"\nwrote {run_dir}/: {', '.join(files)}")
    return 0 if all(o.sealed for o in outcomes) else 1


STUDY_MODULES = ("ray", "scipy")  # what Monte Carlo studies need beyond the simulator


def missing_study_modules(command: str) -> str:
    """'' when this installation can run studies, else a message for `command` naming what
    is missing (the runtime container image leaves Ray and SciPy out)."""
    import importlib.util

    missing = [name for name in STUDY_MODULES if importlib.util.find_spec(name) is None]
    if not missing:
        return ""
    return (
        f"{command}: Monte Carlo studies need {' and '.join(missing)}, which this installation "
        "lacks (the aca_sim:runtime image leaves them out; use aca_sim:ci, or pip install the "
        "versions requirements.txt pins)"
    )


def study_trial_files(args: argparse.Namespace, run_dir: Path) -> tuple[int, str, Path]:
    """Write a study trial's model and campaign files into run_dir; (seed, campaign file,
    model file). ValueError (StudyError) naming a bad study, trial or seed."""
    from aca_sim.montecarlo.study import draw_trial, load_study, write_replay

    study = load_study(args.study)
    study_seed = study.seed if args.study_seed is None else args.study_seed
    if study_seed < 0:
        raise ValueError(f"--study-seed {study_seed} must be >= 0")
    if args.trial < 0:
        raise ValueError(f"--trial {args.trial} must be >= 0")
    spec = draw_trial(study, study_seed, args.trial)
    model, campaign = write_replay(study, spec, run_dir)
    print(f"study {study.path.stem}, study seed {study_seed}, trial {args.trial}: seed "
          f"{spec.seed}, parameters {spec.parameters}, faults {spec.faults}")  # fmt: skip
    return spec.seed, str(campaign), model


def add_montecarlo_parser(sub: Any) -> None:
    """The `aca-sim montecarlo` sub-command's options."""
    mc = sub.add_parser(
        "montecarlo",
        help="run a Monte Carlo study (seeded headless trials with drawn faults) on Ray",
        description="Run STUDY's trials headless on Ray (a local cluster on 127.0.0.1, or "
        "--address), streaming one row per trial to OUT/trials.csv, then write "
        "OUT/summary.md (rates and means with 95 % intervals) and OUT/plots/.",
    )
    mc.add_argument("study", help="a study file, or a name in config/studies (mageik_dust)")
    mc.add_argument("--trials", type=int, default=None, help="trial count (the study's)")
    mc.add_argument("--seed", type=int, default=None, help="study seed (the study's)")
    mc.add_argument(
        "--out", type=Path, default=None,
        help="output folder (default runs/<UTC time>-montecarlo-<study>-seed<S>)",
    )  # fmt: skip
    mc.add_argument("--resume", action="store_true", help="go on with the study in --out")
    mc.add_argument(
        "--address", default=None,
        help="an existing Ray cluster (ray://... or host:port); default: a local one",
    )  # fmt: skip
    mc.add_argument(
        "--workers", type=int, default=None, help="CPUs of the local cluster (this machine's)"
    )
    mc.add_argument("--retries", type=int, default=1, help="runs again of a failed trial (1)")


def run_montecarlo(args: argparse.Namespace) -> int:
    """`aca-sim montecarlo`: run the study; 2 for a bad study file or option."""
    if problem := missing_study_modules("aca-sim montecarlo"):
        print(problem, file=sys.stderr)
        return 2
    from aca_sim.montecarlo.priors import StudyError
    from aca_sim.montecarlo.runner import run_study

    if args.retries < 0:
        print(f"aca-sim montecarlo: --retries {args.retries} must be >= 0", file=sys.stderr)
        return 2
    try:
        run = run_study(
            args.study, args.trials, args.seed, args.out, args.resume, args.address,
            args.workers, args.retries, say=lambda line: print(line, flush=True),
        )  # fmt: skip
    except StudyError as error:
        print(f"aca-sim montecarlo: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0 if all(row["status"] == "ok" for row in run.rows) else 1


def run_teleop(args: argparse.Namespace) -> int:
    """`aca-sim teleop`: teleop.launch.xml with the page, after checking the options."""
    import secrets

    from aca_sim.net import is_loopback

    for name in ("port", "ws_port"):
        if not 0 <= getattr(args, name) <= 65535:
            flag = "--" + name.replace("_", "-")
            print(f"aca-sim teleop: {flag} {getattr(args, name)} is not a port", file=sys.stderr)
            return 2
    if args.real_time_factor <= 0:
        print(f"aca-sim teleop: --real-time-factor {args.real_time_factor} must be > 0",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.seed < 0:
        print(f"aca-sim teleop: --seed {args.seed} must be >= 0", file=sys.stderr)
        return 2
    token = args.token or ("" if is_loopback(args.host) else secrets.token_urlsafe(16))
    query = f"?token={token}" if token else ""
    print(f"aca-sim teleop: the page will be at http://{args.host}:{args.port}/{query}")
    arguments = {
        "web_host": args.host,
        "web_port": args.port,
        "ws_port": args.ws_port,
        "token": token,
        "real_time_factor": args.real_time_factor,
        "seed": args.seed,
        "rviz": str(args.rviz).lower(),
        "run_dir": args.run_dir,
    }
    launch = argparse.Namespace(
        file="teleop.launch.xml",
        arguments=[f"{name}:={value}" for name, value in arguments.items()],
        show_args=False,
        shutdown_timeout=10.0,
        log_dir=None,
    )
    return run_launch(launch)


def print_srdf(args: argparse.Namespace) -> int:
    """`aca-sim srdf`: the SRDF text of a model configuration on stdout."""
    from aca_sim.model.config import load_model_config
    from aca_sim.motion.semantic import generate_srdf

    path = args.model_config
    if path is not None and not path.is_file():
        print(f"aca-sim srdf: --model-config {path}: no such file", file=sys.stderr)
        return 2
    sys.stdout.write(generate_srdf(load_model_config(path)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run `aca-sim` with argv (default: sys.argv[1:]) and return the exit code."""
    from aca_sim.ros_env import check_message_fields

    check_message_fields()  # the commands below are ROS clients: no field may wrap silently
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run":
        return run_main_job(args)
    if args.command == "launch":
        return run_launch(args)
    if args.command == "report":
        return run_report(args)
    if args.command == "teleop" and args.interface == "keyboard":
        from aca_sim.nodes.keyboard_teleop import main as keyboard_main

        return keyboard_main()
    if args.command == "teleop":
        return run_teleop(args)
    if args.command == "montecarlo":
        return run_montecarlo(args)
    if args.command == "srdf":
        return print_srdf(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
