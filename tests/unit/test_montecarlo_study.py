"""Monte Carlo study files: validation with named errors, seeded trials, replay files, and
the priors' draws. No Ray and no world here (tests/integration/test_montecarlo.py)."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
import yaml

from aca_sim.caching.campaign_file import load_campaign
from aca_sim.model.config import load_model_config
from aca_sim.montecarlo.cluster import is_loopback
from aca_sim.montecarlo.priors import StudyError, parse_prior
from aca_sim.montecarlo.study import draw_trial, load_study, write_replay
from aca_sim.paths import share_path

GOOD = """\
trials: 5
seed: 11
sample: {name: Mageik, kind: rock_core, recover_sweeps: 12}
parameters:
  seal_carousel.release_limit_n: {dist: normal, mean: 150, sd: 10, low: 110, high: 190}
faults:
  Mageik:
    rim_dust: {dist: beta, a: 4, b: 4}
    carousel_debris: {probability: 0.5, value: {dist: integers, low: 1, high: 4}}
"""


def study_file(tmp_path, text: str):
    path = tmp_path / "study.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_the_shipped_studies_load():
    for name in ("mageik_dust", "campaign"):
        study = load_study(name)
        assert study.path == share_path("config", "studies", f"{name}.yaml")
        assert study.faults and study.parameters
    assert load_study("campaign").campaign == "default"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ("trials: 0", "trials must be an integer in 1..1000000, got 0"),
        ("flavour: 3", "unknown key(s) ['flavour']"),
        ("campaign: default", "exactly one of 'campaign'"),
        ("parameters: {nope.x: 1.0}", "parameters.nope.x: "),
        ("parameters: {sha.z: 1.0}", "'sha.z' is not a number"),
        ("parameters: {physics.solver_iterations: {dist: uniform, low: 10, high: 20}}",
         "physics.solver_iterations is a whole number"),
        ("parameters: {dust.sweep_transfer_fraction: {dist: gamma, k: 2}}",
         "parameters.dust.sweep_transfer_fraction.dist: 'gamma' is not one of"),
        ("parameters: {dust.sweep_transfer_fraction: {dist: beta, a: 0, b: 2}}",
         "parameters.dust.sweep_transfer_fraction.a: must be > 0, got 0"),
        ("parameters: {dust.sweep_transfer_fraction: {dist: uniform, low: 0.1}}",
         "uniform needs ['high']"),
        ("parameters: {dust.sweep_transfer_fraction: true}", "got True"),
        ("faults: {Roubion: {rim_dust: 0.5}}", "faults.Roubion: no sample 'Roubion'"),
        ("faults: {Mageik: {rim_dust: {dist: normal, mean: 0.5, sd: 0.2}}}",
         "faults.Mageik.rim_dust: Normal(mean=0.5, sd=0.2) can draw -inf"),
        ("faults: {Mageik: {carousel_debris: {dist: uniform, low: 1, high: 4}}}",
         "carousel_debris takes whole numbers"),
        ("faults: {Mageik: {carousel_debris: {probability: 1.5, value: 2}}}",
         "faults.Mageik.carousel_debris.probability: must be in 0..1, got 1.5"),
        ("faults: {Mageik: {dust_storm: 1}}", "unknown fault 'dust_storm'"),
    ],
)  # fmt: skip
def test_a_bad_study_names_the_key_and_the_value(tmp_path, change, named):
    data = {**yaml.safe_load(GOOD), **yaml.safe_load(change)}  # the change replaces its key
    with pytest.raises(StudyError) as refused:
        load_study(study_file(tmp_path, yaml.safe_dump(data)))
    assert named in str(refused.value)
    assert str(tmp_path / "study.yaml") in str(refused.value)


def test_a_bad_sample_and_a_missing_file_are_named(tmp_path):
    with pytest.raises(StudyError, match=r"sample: kind 'pebble' is not one of"):
        load_study(study_file(tmp_path, "sample: {name: X, kind: pebble}\n"))
    with pytest.raises(StudyError, match="does not exist"):
        load_study(tmp_path / "absent.yaml")


def test_a_trial_is_its_seed_and_index_whatever_else_the_study_draws(tmp_path):
    study = load_study(study_file(tmp_path, GOOD))
    first = [draw_trial(study, 11, k) for k in range(40)]
    assert first == [draw_trial(study, 11, k) for k in range(40)]
    assert len({t.seed for t in first}) == 40
    assert draw_trial(study, 12, 0).seed != first[0].seed
    armed = [t for t in first if "carousel_debris" in t.faults.get("Mageik", {})]
    assert 8 < len(armed) < 32, "probability 0.5 over 40 trials"
    assert all(t.faults["Mageik"]["carousel_debris"] in (1, 2, 3, 4) for t in armed)
    assert all(
        dict(t.items[0].faults)["rim_dust"] == t.faults["Mageik"]["rim_dust"] for t in first
    )
    another = "  dust.sweep_transfer_fraction: {dist: uniform, low: 0.02, high: 0.04}\n"
    extended = GOOD.replace("parameters:\n", "parameters:\n" + another)
    extra = load_study(study_file(tmp_path, extended))
    for k in range(10):
        a, b = draw_trial(study, 11, k), draw_trial(extra, 11, k)
        assert (a.seed, a.faults) == (b.seed, b.faults), "another prior changed this trial"
        assert (
            a.parameters["seal_carousel.release_limit_n"]
            == b.parameters["seal_carousel.release_limit_n"]
        )


def test_the_replay_files_give_the_trials_configuration_and_samples_exactly(tmp_path):
    study = load_study(study_file(tmp_path, GOOD))
    spec = next(
        t for t in (draw_trial(study, 11, k) for k in range(40)) if len(t.faults["Mageik"]) == 2
    )
    model, campaign = write_replay(study, spec, tmp_path / "run")
    assert load_campaign(str(campaign)) == list(spec.items)
    replayed, in_trial = load_model_config(model), load_model_config(None, spec.parameters)
    assert replayed.sha256 == in_trial.sha256
    assert replayed.seal_carousel == in_trial.seal_carousel
    limit = spec.parameters["seal_carousel.release_limit_n"]
    assert replayed.seal_carousel.release_limit_n == limit  # exact, not rounded


def test_priors_draw_their_distributions():
    rng = np.random.default_rng(3)
    beta = parse_prior({"dist": "beta", "a": 4, "b": 4}, "x")
    values = np.array([beta.draw(rng) for _ in range(4000)])
    assert abs(values.mean() - 0.5) < 0.01 and abs(values.std() - 1 / 6) < 0.01
    normal = parse_prior({"dist": "normal", "mean": 150, "sd": 10, "low": 140}, "x")
    values = np.array([normal.draw(rng) for _ in range(4000)])
    assert values.min() >= 140 and values.mean() > 150, "truncated below, not clipped"
    integers = parse_prior({"dist": "integers", "low": 1, "high": 4}, "x")
    assert {integers.draw(rng) for _ in range(400)} == {1.0, 2.0, 3.0, 4.0}
    lognormal = parse_prior({"dist": "lognormal", "mu": 0, "sigma": 0.25}, "x")
    values = np.array([lognormal.draw(rng) for _ in range(4000)])
    assert abs(np.median(values) - 1.0) < 0.03
    assert parse_prior(0.7, "x").draw(rng) == 0.7


def test_campaign_file_faults_are_checked_as_the_sim_checks_them(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("samples:\n  - {name: A, kind: rock_core, faults: {rim_dust: 1.5}}\n")
    with pytest.raises(
        ValueError, match=r"sample 1: faults.rim_dust: rim_dust value must be in 0..1"
    ):
        load_campaign(str(path))
    path.write_text("samples:\n  - {name: A, kind: rock_core, faults: {carousel_debris: 2}}\n")
    assert load_campaign(str(path))[0].faults == (("carousel_debris", 2.0),)


def test_a_loopback_cluster_address_is_recognised():
    """A cluster on 127.0.0.1 keeps Ray's node address on loopback (cluster.LOCAL_ENV)."""
    for address in ("127.0.0.1:6379", "ray://localhost:10001", "[::1]:6379", "127.0.0.2:1"):
        assert is_loopback(address), address
    for address in ("10.0.0.5:6379", "ray://head.example:10001", "[fd00::2]:6379"):
        assert not is_loopback(address), address
