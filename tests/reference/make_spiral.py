"""The spiral of builtin:spiral, integrated independently by SciPy's DOP853 at tolerance 1e-12.

dy/dt = (y**3) @ A, A = [[-0.1, 2], [-2, -0.1]], y(0) = (2, 0), sampled every 0.025 over [0, 25]
(torchdiffeq's neural-ODE example). Writes every 10th sample to data/spiral.json.
"""
import json
import pathlib

import numpy as np
from scipy.integrate import solve_ivp

A = np.array([[-0.1, 2.0], [-2.0, -0.1]])


def main():
    times = np.arange(1001) * 0.025
    solution = solve_ivp(lambda t, y: (y ** 3) @ A, (0.0, 25.0), [2.0, 0.0], t_eval=times,
                         method="DOP853", rtol=1e-12, atol=1e-12)
    assert solution.success, solution.message
    every = 10
    out = {
        "source": "scipy.integrate.solve_ivp DOP853, rtol = atol = 1e-12",
        "step": 0.025,
        "every": every,
        "points": [[float(a), float(b)] for a, b in solution.y.T[::every]],
    }
    path = pathlib.Path(__file__).parent / "data" / "spiral.json"
    path.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
