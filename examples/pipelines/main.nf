#!/usr/bin/env nextflow
// Nextflow process: SpliceAI delta scores for each VCF, as an indexed BGZF VCF.
//
//   nextflow run examples/pipelines/main.nf --vcfs 'calls/*.vcf.gz' \
//       --fasta GRCh38.primary_assembly.genome.fa --annotation grch38
//
// Progress goes to the task's .command.err as a line every 30 s (records, rate, ETA).

nextflow.enable.dsl = 2

params.vcfs = "*.vcf.gz"
params.fasta = null
params.annotation = "grch38"
params.distance = 50
params.mask = 0
params.extra = ""
params.outdir = "spliceai"

process SPLICEANNOT {
    tag "${vcf.simpleName}"
    cpus 4
    publishDir params.outdir, mode: "copy"

    input:
    path vcf
    path fasta

    output:
    tuple path("${vcf.simpleName}.spliceai.vcf.gz"), path("${vcf.simpleName}.spliceai.vcf.gz.tbi")

    script:
    """
    spliceannot score ${vcf} -R ${fasta} -A ${params.annotation} \
        -D ${params.distance} -M ${params.mask} ${params.extra} \
        --threads ${task.cpus} -O z -o ${vcf.simpleName}.spliceai.vcf.gz -W
    """
}

workflow {
    SPLICEANNOT(Channel.fromPath(params.vcfs), file(params.fasta))
}
