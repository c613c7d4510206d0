"""`python -m devstack.halo_sim --port 4010 --merchant KEY=MID`: the simulator on its own."""

from devstack.halo_sim.cli import main

raise SystemExit(main())
