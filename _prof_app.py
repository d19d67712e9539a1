import cProfile, pstats, io, os
pr = cProfile.Profile(); pr.enable()
exec(compile(open("/work/main/app.py").read(), "/work/main/app.py", "exec"))
pr.disable()
if os.environ.get("PROF_OUT"):
    s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(40)
    open(os.environ["PROF_OUT"], "a").write(s.getvalue())
